//! The OpenAPI document: the routes' descriptions come from the handlers
//! (`#[utoipa::path]`) through the router that serves them, so the document
//! and the served routes cannot drift apart.

use super::error::ErrorBody;
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Top-level description; paths are added by the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "duijie (对接) matching API",
        description = "Supply–demand matching for technology markets (技术需求 ↔ 科技成果) and supply-chain cooperation (配套需求 ↔ 企业能力). Reads of open documents are public; writes need `Authorization: Bearer <key>` (keys are created with `duijie keys add`). Errors are JSON `{error, field?, detail}`.",
        license(name = "Apache-2.0")
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerKeys),
    tags(
        (name = "documents", description = "Needs, achievements, requests and suppliers"),
        (name = "matching", description = "Two-sided matches with explanations"),
        (name = "search", description = "Full-text search with facets"),
        (name = "profiles", description = "Rank profiles, evaluation and gap reports"),
        (name = "operations", description = "Health, readiness, metrics, this description"),
    )
)]
pub struct ApiDoc;

/// Declares the `api_key` bearer scheme.
struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from `duijie keys add`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token `duijie serve` writes into `admin.json` in its data directory (mode 0600)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of the served routes.
pub fn document() -> utoipa::openapi::OpenApi {
    super::routes().split_for_parts().1
}

/// The OpenAPI document as JSON (built once).
pub fn spec_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| {
        document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    })
}
