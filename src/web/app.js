// duijie web console: a hash-routed single page over the /v1 API.
// Pages: #/search, #/match (free text), #/post (#/post?kind=…&edit=ID edits), #/doc/{kind}/{id}, #/ops, #/gaps.
// The API key lives in sessionStorage only; it never appears in a URL.
'use strict';

// ---------- labels ----------
const KINDS = {
  need: { label: '技术需求', plural: 'needs', counter: 'achievement' },
  achievement: { label: '科技成果', plural: 'achievements', counter: 'need' },
  request: { label: '配套需求', plural: 'requests', counter: 'supplier' },
  supplier: { label: '企业能力', plural: 'suppliers', counter: 'request' },
};
const MATURITY = { research: '研发', bench_trial: '小试', pilot: '中试', industrial: '产业化' };
const ZJTX = { none: '无', pool: '培育库', provincial: '省级专精特新', little_giant: '国家级小巨人', champion: '单项冠军' };
const COOP = { transfer: '转让', license: '许可', joint_development: '合作开发', commissioned: '委托开发', service: '技术服务' };
const PATENT = { invention: '发明专利', utility_model: '实用新型', design: '外观设计', software: '软件著作权', know_how: '技术秘密' };
const FEATURES = {
  bm25: '文本相关度', cosine: '语义相似度', industry_fit: '行业契合', region_fit: '地域邻近',
  maturity_fit: '成熟度契合', budget_fit: '预算契合', capacity_fit: '产能契合', cert_fit: '资质契合',
  zjtx_level: '专精特新等级', freshness: '时效性', coop_fit: '合作方式契合',
};
const ROLES = { sme: '中小企业', university: '高校院所', enterprise: '链主企业', operator: '平台运营' };
const ROLE_KINDS = { sme: ['need', 'supplier'], university: ['achievement'], enterprise: ['request'], operator: Object.keys(KINDS) };
const ERRORS = {
  validation_failed: '内容不符合要求', bad_request: '请求有误', unauthorized: '未登录或密钥无效',
  forbidden: '无权进行此操作', not_found: '未找到', conflict: '内容冲突', rate_limited: '请求过于频繁，请稍后再试',
  unavailable: '服务暂不可用（可能正在加载数据）', payload_too_large: '内容过大', internal: '服务器内部错误',
};

// ---------- DOM helpers ----------
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Builds an element; strings become text nodes (never HTML). */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

/** Search snippets are HTML with matched terms in <b>; render them only if that is all they hold. */
function snippet(html) {
  const el = h('p', { class: 'snippet' });
  if (/<(?!\/?b>)/i.test(html)) el.textContent = html.replace(/<[^>]*>/g, '');
  else el.innerHTML = html;
  return el;
}

/** Text with the given terms wrapped in <mark>, built as nodes. */
function highlight(text, terms) {
  const words = (terms || []).filter((t) => t && t.trim()).sort((a, b) => b.length - a.length);
  if (!words.length) return [text];
  const re = new RegExp('(' + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')', 'g');
  return String(text).split(re).map((part, i) => (i % 2 ? h('mark', null, part) : part));
}

/** About `size` characters of `text` from a little before the first of `terms` it holds (the opening when it holds none), with ellipses where cut. */
function excerpt(text, terms, size) {
  const chars = Array.from(text);
  const lower = text.toLowerCase();
  const hits = (terms || []).map((t) => lower.indexOf(String(t).toLowerCase())).filter((i) => i >= 0);
  // A UTF-16 index to a character index, then a little context before it.
  const first = hits.length ? Array.from(text.slice(0, Math.min(...hits))).length : 0;
  const start = Math.max(0, first - 20);
  const end = Math.min(chars.length, start + size);
  return (start > 0 ? '…' : '') + chars.slice(start, end).join('') + (end < chars.length ? '…' : '');
}

function bar(fraction, cls) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = Math.max(0, Math.min(1, fraction)) * 100 + '%';
  return h('span', { class: 'bar ' + (cls || '') }, fill);
}

const fmt = (x, d = 3) => (typeof x === 'number' ? x.toFixed(d) : '—');

// ---------- codes (region and industry names), loaded once ----------
let CODES = null;
const codesReady = fetch('/console/codes.json').then((r) => r.json()).then((c) => (CODES = c)).catch(() => null);

function regionName(code) {
  if (!CODES || !code) return code || '';
  const c = String(code).padEnd(6, '0');
  const names = [c.slice(0, 2) + '0000', c.slice(0, 4) + '00', c]
    .filter((x, i, a) => a.indexOf(x) === i)
    .map((x) => CODES.regions[x]).filter(Boolean);
  return names.length ? names.join(' ') : code;
}
const industryName = (code) => (CODES && code && CODES.industries[code.replace(/^[A-Z](?=\d)/, '')]) || code || '';

// ---------- session and API ----------
const session = {
  get() { try { return JSON.parse(sessionStorage.getItem('duijie.session')); } catch { return null; } },
  set(s) { sessionStorage.setItem('duijie.session', JSON.stringify(s)); showWho(); },
  clear() { sessionStorage.removeItem('duijie.session'); showWho(); },
};

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || 'HTTP ' + status);
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body, { ndjson = false, key } = {}) {
  const headers = {};
  const s = session.get();
  const bearer = key || (s && s.key);
  if (bearer) headers.Authorization = 'Bearer ' + bearer;
  if (body !== undefined) headers['Content-Type'] = ndjson ? 'application/x-ndjson' : 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : ndjson ? body : JSON.stringify(body) });
  const isJson = /^application\/(problem\+)?json/.test(res.headers.get('content-type') || '');
  const data = isJson ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, isJson ? data : { detail: data });
  return data;
}

const errText = (e) => (e instanceof ApiError ? (ERRORS[e.body.error] || '请求失败') + '：' + e.body.detail : '网络错误：' + e.message);
const notice = (text, cls = 'error') => h('div', { class: 'notice ' + cls, role: cls === 'error' ? 'alert' : 'status' }, text);

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}

// ---------- header, routing ----------
function showWho() {
  const s = session.get();
  const who = $('#who');
  who.replaceChildren(s
    ? h('span', null, '已登录：', h('b', null, ROLES[s.role] || s.role), ' ',
      h('button', { class: 'link', id: 'signout', onclick: () => { session.clear(); render(); } }, '退出'))
    : h('span', { class: 'muted' }, '未登录'));
}

let renderSeq = 0;
async function render() {
  const mine = ++renderSeq;
  const alive = () => mine === renderSeq;
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  const page = parts[0] || 'search';
  $$('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === page || (page === 'doc' && a.dataset.page === 'search')));
  const main = $('#main');
  main.replaceChildren();
  try {
    if (page === 'post') await pagePost(main, params, alive);
    else if (page === 'doc') await pageDoc(main, parts[1], parts[2], params, alive);
    else if (page === 'ops') await pageOps(main, params, alive);
    else if (page === 'gaps') await pageGaps(main, params, alive);
    else if (page === 'match') await pageMatch(main, params, alive);
    else await pageSearch(main, params, alive);
  } catch (e) {
    if (alive()) main.append(notice(errText(e)));
  }
}

// ---------- 搜索 ----------
const PAGE_SIZE = 10;

async function pageSearch(main, p, alive) {
  const state = Object.fromEntries(['q', 'kind', 'region', 'industry', 'maturity', 'zjtx_level', 'page'].map((k) => [k, p.get(k) || '']));
  const go = (change) => { location.hash = '#/search?' + qs({ ...state, page: '', ...change }); };
  const input = h('input', { type: 'search', name: 'q', id: 'q', value: state.q, placeholder: '输入关键词，如：锂电池 正极材料', 'aria-label': '搜索关键词' });
  main.append(
    h('form', { class: 'searchbar', onsubmit: (e) => { e.preventDefault(); go({ q: input.value.trim() }); } },
      input, h('button', { type: 'submit', class: 'primary' }, '搜索')),
    h('div', { class: 'tabs', role: 'tablist' },
      [['', '全部'], ...Object.entries(KINDS).map(([k, v]) => [k, v.label])].map(([k, label]) =>
        h('button', { class: 'tab' + (state.kind === k ? ' active' : ''), 'data-kind': k, role: 'tab', onclick: () => go({ kind: k, maturity: '', zjtx_level: '' }) }, label))),
  );
  const body = h('div', { class: 'search-layout' }, h('p', { class: 'muted' }, '搜索中…'));
  main.append(body);
  const data = await api('GET', '/v1/search?' + qs({ q: state.q, kind: state.kind, region: state.region, industry: state.industry, maturity: state.maturity, zjtx_level: state.zjtx_level, limit: 100 }));
  if (!alive()) return;
  await codesReady;
  const facet = (title, key, values, label) => values && values.length ? h('section', { class: 'facet' },
    h('h3', null, title),
    state[key] ? h('button', { class: 'link clear', onclick: () => go({ [key]: '' }) }, '✕ 清除') : null,
    h('ul', null, values.slice(0, 12).map((v) => h('li', null,
      h('button', { class: 'link' + (state[key] === v.value ? ' active' : ''), 'data-facet': key, 'data-value': v.value, onclick: () => go({ [key]: v.value }) },
        label(v), h('span', { class: 'count' }, v.count)))))) : null;
  const f = data.facets || {};
  const facets = h('aside', { class: 'facets' },
    facet('地区', 'region', f.region, (v) => v.name || v.value),
    facet('行业', 'industry', f.industry, (v) => v.name || industryName(v.value)),
    facet('成熟度', 'maturity', f.maturity, (v) => MATURITY[v.value] || v.value),
    facet('专精特新', 'zjtx_level', f.zjtx_level, (v) => ZJTX[v.value] || v.value));
  const page = Math.max(1, parseInt(state.page, 10) || 1);
  const pages = Math.max(1, Math.ceil(data.hits.length / PAGE_SIZE));
  const hits = data.hits.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const list = h('section', { class: 'results' },
    h('p', { class: 'muted summary' }, `共 ${f.total ?? data.hits.length} 条结果` + (f.total > data.hits.length ? `，显示相关度最高的 ${data.hits.length} 条` : '')),
    hits.length ? null : h('p', { class: 'empty' }, '没有找到结果，换个关键词或清除筛选条件试试。'),
    hits.map((hit) => h('article', { class: 'hit' },
      h('div', { class: 'hit-head' },
        h('span', { class: 'badge k-' + hit.kind }, KINDS[hit.kind].label),
        h('a', { href: `#/doc/${hit.kind}/${encodeURIComponent(hit.id)}`, class: 'title' }, hit.title)),
      snippet(hit.snippet || ''),
      h('div', { class: 'meta' }, h('span', null, '相关度 ' + fmt(hit.score, 2)), h('a', { href: `#/doc/${hit.kind}/${encodeURIComponent(hit.id)}` }, '查看匹配 →')))),
    pages > 1 ? h('nav', { class: 'pager' },
      h('button', { disabled: page <= 1, onclick: () => go({ page: page - 1 }) }, '上一页'),
      h('span', null, `第 ${page} / ${pages} 页`),
      h('button', { disabled: page >= pages, class: 'next', onclick: () => go({ page: page + 1 }) }, '下一页')) : null);
  body.replaceChildren(facets, list);
}

// ---------- 登录 ----------
function signInPanel(onDone, wantRole) {
  const key = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', placeholder: 'dj_…', 'aria-label': 'API 密钥' });
  const role = h('select', { id: 'role' }, Object.entries(ROLES).map(([k, v]) => h('option', { value: k, selected: k === wantRole }, v)));
  const msg = h('div');
  return h('form', { class: 'card signin', onsubmit: async (e) => {
    e.preventDefault();
    msg.replaceChildren();
    if (!/^\S{8,}$/.test(key.value.trim())) { msg.append(notice('请输入有效的 API 密钥')); return; }
    try {
      // An authenticated read: 401 for an unknown key.
      await api('GET', '/v1/needs?limit=1', undefined, { key: key.value.trim() });
      session.set({ key: key.value.trim(), role: role.value });
      onDone();
    } catch (err) { msg.append(notice(err.status === 401 ? '密钥无效，请检查后重试' : errText(err))); }
  } },
  h('h2', null, '登录'),
  h('p', { class: 'muted' }, '使用平台发放的 API 密钥登录。密钥只保存在本浏览器标签页的会话中，关闭标签页即清除。'),
  h('label', null, '身份', role), h('label', null, 'API 密钥', key), msg,
  h('button', { type: 'submit', class: 'primary' }, '登录'));
}

// ---------- 发布 ----------
const F = (name, label, type, o = {}) => ({ name, label, type, ...o });
const TECH = ['need', 'achievement'];
const SUPPLY = ['request', 'supplier'];
const FIELDS = [
  F('title', '标题', 'text', { required: true, max: 200, placeholder: '一句话说明' }),
  F('body', '详细描述', 'textarea', { required: true, max: 20000 }),
  F('region', '地区代码', 'text', { required: true, code: 'region', placeholder: '如 52、5201、520102', hint: '国家行政区划代码，2、4 或 6 位数字' }),
  F('industry', '行业代码', 'text', { required: (k) => k !== 'achievement', code: 'industry', placeholder: '如 C38、3811', hint: 'GB/T 4754-2017 国民经济行业分类' }),
  F('tags', '关键词', 'list', { hint: '多个用逗号或顿号分隔' }),
  F('chain', '所属产业链', 'text', { max: 200, placeholder: '如 新能源汽车' }),
  F('deadline', '截止日期', 'date', { kinds: ['need', 'request'] }),
  F('budget', '预算（万元）', 'number', { kinds: ['need'], min: 0 }),
  F('maturity', '技术成熟度', 'select', { kinds: TECH, options: MATURITY }),
  F('cooperation_modes', '合作方式', 'multi', { kinds: TECH, options: COOP }),
  F('institution', '高校/院所', 'text', { kinds: ['achievement'], max: 200 }),
  F('field', '学科领域', 'text', { kinds: ['achievement'], max: 200 }),
  F('trl', '技术就绪度（TRL 1–9）', 'number', { kinds: ['achievement'], min: 1, max: 9, int: true }),
  F('asking_price', '转让报价（万元）', 'number', { kinds: ['achievement'], min: 0 }),
  F('ip.patent_type', '知识产权类型', 'select', { kinds: ['achievement'], options: PATENT }),
  F('ip.numbers', '专利号', 'list', { kinds: ['achievement'] }),
  F('products', '产品', 'list', { kinds: SUPPLY }),
  F('processes', '工艺', 'list', { kinds: SUPPLY }),
  F('specs', '技术规格', 'textarea', { kinds: ['request'], max: 2000 }),
  F('certifications', '资质认证', 'list', { kinds: SUPPLY }),
  F('certs_mandatory', '资质为硬性要求', 'checkbox', { kinds: ['request'] }),
  F('annual_volume', '年采购量', 'number', { kinds: ['request'], min: 0 }),
  F('capacity', '年产能', 'number', { kinds: ['supplier'], min: 0 }),
  F('volume_unit', '计量单位', 'text', { kinds: SUPPLY, max: 200, placeholder: '件、吨、套' }),
  F('equipment', '主要设备', 'list', { kinds: ['supplier'] }),
  F('revenue', '年营收（万元）', 'number', { kinds: ['supplier'], min: 0 }),
  F('debt_ratio', '资产负债率（0–1）', 'number', { kinds: ['supplier'], min: 0, max: 1 }),
  F('main_business_share', '主营业务占比（0–1）', 'number', { kinds: ['supplier'], min: 0, max: 1 }),
  F('zjtx_level', '专精特新等级', 'select', { kinds: ['supplier'], options: ZJTX }),
  F('contact.name', '联系人', 'text', { max: 200 }),
  F('contact.phone', '联系电话', 'text', { max: 200 }),
  F('contact.email', '电子邮箱', 'text', { max: 200, email: true }),
];
const splitList = (v) => v.split(/[,，、;；\n]/).map((s) => s.trim()).filter(Boolean);
const chars = (s) => Array.from(s).length;

function fieldInput(f) {
  const id = 'f-' + f.name.replace('.', '-');
  if (f.type === 'textarea') return h('textarea', { id, name: f.name, rows: f.name === 'body' ? 6 : 3 });
  if (f.type === 'select') return h('select', { id, name: f.name }, h('option', { value: '' }, '（不填）'), Object.entries(f.options).map(([k, v]) => h('option', { value: k }, v)));
  if (f.type === 'multi') return h('div', { class: 'checks', id }, Object.entries(f.options).map(([k, v]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: f.name, value: k }), v)));
  if (f.type === 'checkbox') return h('input', { id, name: f.name, type: 'checkbox' });
  return h('input', { id, name: f.name, type: f.type === 'number' ? 'text' : f.type === 'date' ? 'date' : 'text', inputmode: f.type === 'number' ? 'decimal' : null, placeholder: f.placeholder || null });
}

/** Reads and checks the form as the API would; returns {doc, errors}. */
function readForm(form, kind) {
  const doc = {};
  const errors = {};
  const set = (name, value) => {
    const [a, b] = name.split('.');
    if (b) (doc[a] = doc[a] || {})[b] = value; else doc[a] = value;
  };
  for (const f of FIELDS.filter((f) => !f.kinds || f.kinds.includes(kind))) {
    const el = form.elements[f.name];
    const err = (m) => { errors[f.name] = errors[f.name] || m; };
    const required = typeof f.required === 'function' ? f.required(kind) : f.required;
    if (f.type === 'multi') { const v = $$(`input[name="${f.name}"]:checked`, form).map((c) => c.value); if (v.length) set(f.name, v); continue; }
    if (f.type === 'checkbox') { if (el.checked) set(f.name, true); continue; }
    const raw = el.value.trim();
    if (!raw) { if (required) err('必填'); continue; }
    if (f.type === 'list') {
      const items = splitList(raw);
      if (items.length > 50) err(`最多 50 项，当前 ${items.length} 项`);
      const long = items.find((i) => chars(i) > 200);
      if (long) err('每项最多 200 字');
      set(f.name, items);
    } else if (f.type === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) err('请输入数字');
      else if (f.int && !Number.isInteger(n)) err('请输入整数');
      else if (f.min !== undefined && n < f.min) err(`不能小于 ${f.min}`);
      else if (f.max !== undefined && n > f.max) err(`不能大于 ${f.max}`);
      set(f.name, n);
    } else {
      if (f.max && chars(raw) > f.max) err(`最多 ${f.max} 字，当前 ${chars(raw)} 字`);
      if ((f.type === 'textarea' ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ : /[\u0000-\u001f\u007f]/).test(raw)) err('含有不可见的控制字符');
      if (f.code === 'region' && !/^\d{2}(\d{2}){0,2}$/.test(raw)) err('应为 2、4 或 6 位数字，如 52、5201、520102');
      if (f.code === 'industry' && !/^([A-Ta-t]|[A-Ta-t]?\d{2,4})$/.test(raw)) err('应为 GB/T 4754 代码，如 C、38、C38、3811');
      if (f.email && !raw.includes('@')) err('不是有效的电子邮箱');
      set(f.name, raw);
    }
  }
  if (SUPPLY.includes(kind) && !doc.products && !doc.processes) errors.products = '产品和工艺至少填写一项';
  if (kind === 'request' && doc.certs_mandatory && !doc.certifications) errors.certifications = '勾选了“资质为硬性要求”，请列出资质';
  if (doc.ip && !doc.ip.patent_type) errors['ip.patent_type'] = '填写专利号时请选择知识产权类型';
  return { doc, errors };
}

function showFieldError(form, field, message) {
  const name = field.replace(/\[\d+\]/g, '');
  const wrap = $(`.field[data-field="${name}"]`, form) || $(`.field[data-field="${name.split('.')[0]}"]`, form);
  if (!wrap) return false;
  wrap.classList.add('invalid');
  $('.err', wrap).textContent = message;
  return true;
}

/** Fills the form with a document's values: the inverse of readForm. */
function fillForm(form, kind, doc) {
  for (const f of FIELDS.filter((f) => !f.kinds || f.kinds.includes(kind))) {
    const [a, b] = f.name.split('.');
    const v = b ? (doc[a] || {})[b] : doc[a];
    if (v === undefined || v === null) continue;
    if (f.type === 'multi') { $$(`input[name="${f.name}"]`, form).forEach((c) => { c.checked = v.includes(c.value); }); continue; }
    const el = form.elements[f.name];
    if (f.type === 'checkbox') el.checked = Boolean(v);
    else if (f.type === 'list') el.value = v.join('、');
    else el.value = String(v);
  }
}

/** The stored document with the form's fields replaced by `edited`: a PUT
 *  replaces the whole document, so what the form does not show (status,
 *  source, timestamps) is sent back as it was. */
function mergeEdit(original, kind, edited) {
  const merged = JSON.parse(JSON.stringify(original));
  for (const f of FIELDS.filter((f) => !f.kinds || f.kinds.includes(kind))) {
    const [a, b] = f.name.split('.');
    if (!b) { delete merged[a]; continue; }
    if (merged[a]) { delete merged[a][b]; if (!Object.keys(merged[a]).length) delete merged[a]; }
  }
  for (const [k, v] of Object.entries(edited)) {
    merged[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...(merged[k] || {}), ...v } : v;
  }
  return merged;
}

/** The API's refusals in Chinese where the reason is known. */
function apiFieldMessage(field, detail) {
  if (/not a known administrative division/.test(detail)) return '不是已知的行政区划代码（服务端校验）：' + detail.split('`')[1];
  if (/not a GB\/T 4754/.test(detail)) return '不是有效的 GB/T 4754 行业代码（服务端校验）';
  if (/required/.test(detail)) return '必填（服务端校验）';
  return '服务端校验未通过：' + detail;
}

async function pagePost(main, p, alive) {
  const s = session.get();
  if (!s) { main.append(signInPanel(render, 'sme')); return; }
  const allowed = ROLE_KINDS[s.role] || [];
  const kind = allowed.includes(p.get('kind')) ? p.get('kind') : allowed[0];
  const editing = p.get('edit');
  // Editing starts from the stored document (with its contact fields, as the caller is signed in).
  const original = editing ? await api('GET', `/v1/${KINDS[kind].plural}/${encodeURIComponent(editing)}`) : null;
  if (!alive()) return;
  if (!editing) main.append(h('div', { class: 'tabs' }, allowed.map((k) =>
    h('a', { class: 'tab' + (k === kind ? ' active' : ''), href: '#/post?kind=' + k, 'data-kind': k }, '发布' + KINDS[k].label))));
  const status = h('div', { id: 'post-status' });
  const form = h('form', { class: 'card post-form', novalidate: true, 'data-kind': kind, 'data-edit': editing },
    h('h2', null, (editing ? '修改' : '发布') + KINDS[kind].label),
    FIELDS.filter((f) => !f.kinds || f.kinds.includes(kind)).map((f) => {
      const req = typeof f.required === 'function' ? f.required(kind) : f.required;
      const input = fieldInput(f);
      const live = f.code === 'region' ? h('span', { class: 'live muted' }) : null;
      if (live) input.addEventListener('input', () => {
        const v = input.value.trim();
        const known = CODES && /^\d{2}(\d{2}){0,2}$/.test(v) && CODES.regions[v.padEnd(6, '0')];
        live.textContent = known ? regionName(v) : '';
      });
      return h('div', { class: 'field' + (f.type === 'textarea' || f.type === 'multi' ? ' wide' : ''), 'data-field': f.name },
        h('label', { for: input.id }, f.label, req ? h('span', { class: 'req', title: '必填' }, ' *') : null),
        input, live, f.hint ? h('small', { class: 'hint' }, f.hint) : null, h('div', { class: 'err', role: 'alert' }));
    }),
    status,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, editing ? '保存修改' : '提交发布')));
  if (original) fillForm(form, kind, original);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    $$('.field.invalid', form).forEach((w) => { w.classList.remove('invalid'); $('.err', w).textContent = ''; });
    status.replaceChildren();
    const { doc, errors } = readForm(form, kind);
    if (Object.keys(errors).length) {
      for (const [field, m] of Object.entries(errors)) showFieldError(form, field, m);
      status.append(notice('请先修改标红的项目'));
      $('.field.invalid input, .field.invalid textarea, .field.invalid select', form)?.focus();
      return;
    }
    try {
      const r = original
        ? await api('PUT', `/v1/${KINDS[kind].plural}/${encodeURIComponent(editing)}`, mergeEdit(original, kind, doc))
        : await api('POST', '/v1/' + KINDS[kind].plural, doc);
      status.append(notice(h('span', null, (original ? '已保存' : '发布成功') + '（编号 ', h('code', null, r.id), '）。 ',
        h('a', { href: `#/doc/${kind}/${encodeURIComponent(r.id)}`, id: 'see-matches' }, '查看匹配结果 →')), 'ok'));
    } catch (err) {
      if (err.status === 422 && err.body.field && showFieldError(form, err.body.field, apiFieldMessage(err.body.field, err.body.detail))) {
        status.append(notice('服务端拒绝了提交，请修改标红的项目'));
      } else status.append(notice(errText(err)));
    }
  });
  main.append(form);
}

// ---------- 匹配 ----------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function docMeta(d) {
  const items = [
    ['地区', d.region && `${regionName(d.region)}（${d.region}）`],
    ['行业', d.industry && `${industryName(d.industry)}（${d.industry}）`],
    ['产业链', d.chain], ['成熟度', MATURITY[d.maturity]], ['TRL', d.trl], ['预算', d.budget != null && d.budget + ' 万元'],
    ['报价', d.asking_price != null && d.asking_price + ' 万元'], ['合作方式', (d.cooperation_modes || []).map((c) => COOP[c] || c).join('、')],
    ['高校/院所', d.institution], ['产品', (d.products || []).join('、')], ['工艺', (d.processes || []).join('、')],
    ['资质', (d.certifications || []).join('、')], ['专精特新', ZJTX[d.zjtx_level]], ['截止', d.deadline], ['发布方', d.owner],
  ].filter(([, v]) => v);
  return h('dl', { class: 'meta-list' }, items.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function explanationTable(x) {
  const max = Math.max(...x.parts.map((p) => Math.abs(p.contribution)), 1e-9);
  return h('div', { class: 'explain' },
    h('p', { class: 'muted' }, `需求方视角 ${fmt(x.demand_side)} · 供给方视角 ${fmt(x.supply_side)} · 总分 ${fmt(x.score)}`),
    h('table', null,
      h('thead', null, h('tr', null, ['特征', '取值', '权重', '贡献'].map((t) => h('th', null, t)))),
      h('tbody', null, x.parts.map((p) => {
        const [boost, feature] = p.feature.startsWith('boost:') ? [true, p.feature.slice(6)] : [false, p.feature];
        return h('tr', { 'data-feature': p.feature },
          h('td', null, (boost ? '加权：' : '') + (FEATURES[feature] || feature), h('small', { class: 'muted' }, ' ' + p.feature)),
          h('td', { class: 'num' }, fmt(p.value)), h('td', { class: 'num' }, fmt(p.weight)),
          h('td', { class: 'num contrib' }, bar(Math.abs(p.contribution) / max, p.contribution < 0 ? 'neg' : ''), fmt(p.contribution)));
      }))),
    x.matched_terms && x.matched_terms.length ? h('p', { class: 'terms' }, '命中词：', x.matched_terms.map((t) => h('mark', null, t))) : null);
}

/** Edit and delete, for a signed-in role that posts this kind; the API
 *  refuses (403) another party's document, and the message says so. */
function ownerActions(kind, id) {
  const s = session.get();
  if (!s || !(ROLE_KINDS[s.role] || []).includes(kind)) return null;
  const status = h('div', { id: 'doc-status' });
  const remove = async () => {
    if (!window.confirm(`删除这条${KINDS[kind].label}？删除后不可恢复。`)) return;
    status.replaceChildren();
    try {
      await api('DELETE', `/v1/${KINDS[kind].plural}/${encodeURIComponent(id)}`);
      status.append(notice(h('span', null, '已删除。 ', h('a', { href: '#/search' }, '返回搜索')), 'ok'));
      $$('#edit-doc, #delete-doc').forEach((b) => b.remove());
    } catch (err) { status.append(notice(errText(err))); }
  };
  return h('div', { class: 'actions' },
    h('a', { class: 'button', id: 'edit-doc', href: `#/post?kind=${kind}&edit=${encodeURIComponent(id)}` }, '修改'),
    h('button', { type: 'button', id: 'delete-doc', onclick: remove }, '删除'), status);
}

async function pageDoc(main, kind, id, p, alive) {
  if (!KINDS[kind] || !id) { main.append(notice('链接有误')); return; }
  const doc = await api('GET', `/v1/${KINDS[kind].plural}/${encodeURIComponent(id)}`);
  await codesReady;
  if (!alive()) return;
  const counter = KINDS[kind].counter;
  main.append(h('article', { class: 'card doc' },
    h('div', { class: 'hit-head' }, h('span', { class: 'badge k-' + kind }, KINDS[kind].label), h('h2', { class: 'doc-title' }, doc.title)),
    docMeta(doc), h('p', { class: 'doc-body' }, doc.body),
    doc.tags && doc.tags.length ? h('p', null, doc.tags.map((t) => h('span', { class: 'chip' }, t))) : null,
    ownerActions(kind, id)));
  const list = h('section', { class: 'matches' }, h('p', { class: 'muted' }, '正在匹配…'));
  main.append(h('h2', null, `匹配的${KINDS[counter].label}`), list);
  const url = `/v1/${KINDS[kind].plural}/${encodeURIComponent(id)}/matches?` + qs({ k: 10, explain: true, profile: p.get('profile') });
  let data;
  for (let attempt = 0; ; attempt++) {
    try { data = await api('GET', url); break; } catch (e) {
      // A document just posted reaches the indexes within about a second.
      if (attempt >= 8 || ![404, 503].includes(e.status)) throw e;
      await sleep(700);
    }
  }
  if (!alive()) return;
  list.replaceChildren(...matchList(data));
}

/// The results of a match (a document's or a free text's), each with its
/// explanation on demand.
function matchList(data) {
  if (!data.results.length) return [h('p', { class: 'empty' }, '暂无匹配结果。')];
  const top = Math.max(...data.results.map((r) => r.score), 1e-9);
  return [h('p', { class: 'muted' }, `排序方案：${data.profile}`), ...data.results.map((r, i) => {
    const terms = (r.explanation && r.explanation.matched_terms) || [];
    const detail = h('div', { class: 'detail', hidden: true });
    const toggle = h('button', { class: 'link why', 'aria-expanded': 'false', onclick: async () => {
      const open = detail.hidden;
      detail.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = open ? '收起解释' : '为什么匹配？';
      if (open && !detail.childNodes.length) {
        if (r.explanation) detail.append(explanationTable(r.explanation));
        try {
          const other = await api('GET', `/v1/${KINDS[r.kind].plural}/${encodeURIComponent(r.id)}`);
          detail.append(h('p', { class: 'snippet' }, highlight(excerpt(other.body || '', terms, 180), terms)));
        } catch { /* the table is enough */ }
      }
    } }, '为什么匹配？');
    return h('article', { class: 'match', 'data-id': r.id },
      h('div', { class: 'match-head' }, h('span', { class: 'rank' }, i + 1),
        h('a', { class: 'title', href: `#/doc/${r.kind}/${encodeURIComponent(r.id)}` }, highlight(r.title, terms))),
      h('div', { class: 'score' }, bar(r.score / top), h('span', { class: 'num' }, fmt(r.score))),
      h('div', { class: 'meta' }, r.region ? h('span', null, regionName(r.region)) : null, r.industry ? h('span', null, industryName(r.industry)) : null,
        terms.length ? h('span', { class: 'terms' }, terms.slice(0, 6).map((t) => h('mark', null, t))) : null, toggle),
      detail);
  })];
}

// ---------- 智能匹配 ----------
async function pageMatch(main, p, alive) {
  const kind = KINDS[p.get('kind')] ? p.get('kind') : 'achievement';
  const text = (p.get('text') || '').trim();
  const input = h('textarea', { id: 'match-text', rows: 3, 'aria-label': '需求描述',
    placeholder: '用一段话描述，如：我们在贵阳做铝合金压铸，要找有IATF16949认证的配套厂家' });
  input.value = text;
  const kindSel = h('select', { id: 'match-kind', 'aria-label': '匹配对象' },
    Object.entries(KINDS).map(([k, v]) => h('option', { value: k, selected: k === kind }, v.label)));
  main.append(h('form', { class: 'card match-form', onsubmit: (e) => {
    e.preventDefault();
    location.hash = '#/match?' + qs({ kind: kindSel.value, text: input.value.trim() });
  } }, input, h('div', { class: 'row' }, h('label', { class: 'inline' }, '找 ', kindSel),
    h('button', { type: 'submit', class: 'primary' }, '智能匹配'))));
  if (!text) return;
  const list = h('section', { class: 'matches' }, h('p', { class: 'muted' }, '正在匹配…'));
  main.append(list);
  const data = await api('POST', '/v1/match', { text, kind, k: 10, explain: true });
  await codesReady;
  if (!alive()) return;
  const u = data.understood;
  const read = u ? [
    u.region ? h('span', { class: 'chip' }, '地区：' + regionName(u.region)) : null,
    ...(u.certifications || []).map((c) => h('span', { class: 'chip' }, '资质：' + c)),
    u.budget != null ? h('span', { class: 'chip' }, `预算：${u.budget} 万元`) : null,
  ].filter(Boolean) : [];
  list.replaceChildren(...(read.length ? [h('p', { id: 'understood' }, '已识别 ', ...read)] : []), ...matchList(data));
}

// ---------- 运营 ----------
function needOperator(main) {
  const s = session.get();
  if (s && s.role === 'operator') return false;
  if (s) main.append(notice('此页面需要平台运营（operator）身份的密钥，请切换账号。'));
  main.append(signInPanel(render, 'operator'));
  return true;
}

async function pageOps(main, p, alive) {
  if (needOperator(main)) return;
  const [{ profiles }, { files }] = await Promise.all([api('GET', '/v1/profiles'), api('GET', '/console/judgments')]);
  if (!alive()) return;
  const names = profiles.filter((n) => !n.startsWith('draft-'));
  const name = [p.get('profile'), 'default-tech', names[0]].find((n) => names.includes(n));
  if (!name) { main.append(notice('没有可用的排序方案')); return; }
  const saved = await api('GET', '/v1/profiles/' + encodeURIComponent(name));
  if (!alive()) return;
  const edited = JSON.parse(JSON.stringify(saved));
  const market = saved.market || (name.includes('supply') ? 'supply' : 'tech');
  const sliders = (side, title) => h('fieldset', { class: 'weights' }, h('legend', null, title),
    Object.entries(edited[side] || {}).map(([f, w]) => {
      const out = h('output', { class: 'num' }, fmt(w, 2));
      const range = h('input', { type: 'range', min: 0, max: 1, step: 0.01, value: w, 'data-side': side, 'data-feature': f, 'aria-label': FEATURES[f] || f,
        oninput: () => { edited[side][f] = Number(range.value); out.textContent = fmt(edited[side][f], 2); dirty(); } });
      return h('div', { class: 'slider' }, h('label', null, FEATURES[f] || f, h('small', { class: 'muted' }, ' ' + f)), range, out);
    }));
  const judgSel = h('select', { id: 'judgments' }, files.map((f) => h('option', { value: f.name, selected: f.name.includes(market) }, `${f.name}（${Math.round(f.bytes / 1024)} KB）`)));
  const pasted = h('textarea', { id: 'judgments-text', rows: 3, placeholder: '{"query_id": "N-…", "doc_id": "A-…", "grade": 3}' });
  const results = h('div', { id: 'eval-results' });
  const status = h('div', { id: 'ops-status' });
  const markDirty = h('span', { class: 'muted' });
  const dirty = () => { markDirty.textContent = '（权重已修改，尚未保存）'; };
  const evalCache = {};
  const judgmentsText = async () => {
    if (pasted.value.trim()) return pasted.value;
    if (!judgSel.value) throw new Error('没有评测标注：请在下方粘贴 JSONL 标注');
    return api('GET', '/console/judgments/' + encodeURIComponent(judgSel.value));
  };
  const runEval = async () => {
    status.replaceChildren(notice('评测中…（在全部标注查询上运行匹配）', 'info'));
    results.replaceChildren();
    try {
      const text = await judgmentsText();
      const cacheKey = saved.version + '|' + (pasted.value.trim() ? 'pasted:' + text.length : judgSel.value);
      const base = evalCache[cacheKey] || (evalCache[cacheKey] = await api('POST', `/v1/profiles/${encodeURIComponent(name)}/eval`, text, { ndjson: true }));
      const draftName = ('draft-' + name).slice(0, 64);
      const draft = { ...edited, name: draftName };
      delete draft.version;
      await api('PUT', '/v1/profiles/' + draftName, draft);
      const mine = await api('POST', `/v1/profiles/${draftName}/eval`, text, { ndjson: true });
      if (!alive()) return;
      const row = (label, a, b) => h('tr', null, h('th', null, label), h('td', { class: 'num saved' }, fmt(a)), h('td', { class: 'num edited' }, fmt(b)),
        h('td', { class: 'num delta ' + (b > a + 1e-9 ? 'up' : b < a - 1e-9 ? 'down' : '') }, (b - a >= 0 ? '+' : '') + fmt(b - a)));
      results.replaceChildren(h('table', { class: 'compare' },
        h('thead', null, h('tr', null, h('th', null, '指标'), h('th', null, `已保存 v${saved.version}`), h('th', null, '调整后'), h('th', null, '变化'))),
        h('tbody', null, row('nDCG@10', base.ndcg10, mine.ndcg10), row('recall@50', base.recall50, mine.recall50), row('MRR', base.mrr, mine.mrr))),
      h('p', { class: 'muted' }, `${mine.queries.length} 个标注查询`));
      status.replaceChildren();
    } catch (e) { status.replaceChildren(notice(e instanceof ApiError ? errText(e) : e.message)); }
  };
  const save = async () => {
    status.replaceChildren();
    const body = { ...edited };
    delete body.version;
    try {
      const r = await api('PUT', '/v1/profiles/' + encodeURIComponent(name), body);
      saved.version = r.version;
      Object.assign(saved, JSON.parse(JSON.stringify(r)));
      markDirty.textContent = '';
      status.append(notice(`已保存：${r.name} 第 ${r.version} 版`, 'ok'));
    } catch (e) { status.append(notice(errText(e))); }
  };
  main.append(h('div', { class: 'card ops' },
    h('h2', null, '排序方案调优 ', markDirty),
    h('label', { class: 'inline' }, '方案 ', h('select', { id: 'profile', onchange: (e) => { location.hash = '#/ops?profile=' + encodeURIComponent(e.target.value); } },
      names.map((n) => h('option', { value: n, selected: n === name }, n)))),
    h('p', { class: 'muted' }, saved.description || '', ` · 第 ${saved.version} 版`),
    h('div', { class: 'weights-grid' }, sliders('demand_side', '需求方视角权重'), sliders('supply_side', '供给方视角权重')),
    h('div', { class: 'eval-controls' },
      h('label', { class: 'inline' }, '评测标注 ', files.length ? judgSel : h('span', { class: 'muted' }, '未找到 corpora/judgments/*.jsonl')),
      h('details', null, h('summary', null, '或粘贴标注（JSONL）'), pasted)),
    h('div', { class: 'actions' },
      h('button', { class: 'primary', id: 'run-eval', onclick: runEval }, '运行评测'),
      h('button', { id: 'save-profile', onclick: save }, '保存方案')),
    status, results));
}

// ---------- 补链 ----------
function chart(title, counts) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 10);
  const max = Math.max(1, ...rows.map(([, n]) => n));
  return h('section', { class: 'chart' }, h('h3', null, title),
    rows.map(([label, n]) => h('div', { class: 'chart-row' }, h('span', { class: 'label', title: label }, label), bar(n / max), h('span', { class: 'num' }, n))));
}

async function pageGaps(main, p, alive) {
  if (needOperator(main)) return;
  const market = p.get('market') === 'tech' ? 'tech' : 'supply';
  const region = h('input', { id: 'gap-region', value: p.get('region') || '', placeholder: '如 52', inputmode: 'numeric' });
  const threshold = h('input', { id: 'gap-threshold', value: p.get('threshold') || '0.45', inputmode: 'decimal' });
  const marketSel = h('select', { id: 'gap-market' }, h('option', { value: 'supply', selected: market === 'supply' }, '配套需求（协作配套）'),
    h('option', { value: 'tech', selected: market === 'tech' }, '技术需求（技术市场）'));
  main.append(h('form', { class: 'card gap-form', onsubmit: (e) => { e.preventDefault(); location.hash = '#/gaps?' + qs({ market: marketSel.value, region: region.value.trim(), threshold: threshold.value.trim() }); } },
    h('h2', null, '补链分析：匹配不足的需求'),
    h('div', { class: 'row' }, h('label', null, '市场 ', marketSel), h('label', null, '地区代码 ', region), h('label', null, '得分阈值 ', threshold),
      h('button', { class: 'primary', type: 'submit' }, '生成报告'))));
  const out = h('div', { id: 'gaps' }, h('p', { class: 'muted' }, '正在分析…'));
  main.append(out);
  const r = await api('GET', '/v1/gaps?' + qs({ market, region: p.get('region'), threshold: p.get('threshold') }));
  if (!alive()) return;
  const byIndustry = {};
  const byRegion = {};
  for (const g of r.groups) {
    const n = g.documents.length;
    const ind = g.industry_name || g.industry || '未分类';
    const reg = g.region_name || g.region || '未知';
    byIndustry[ind] = (byIndustry[ind] || 0) + n;
    byRegion[reg] = (byRegion[reg] || 0) + n;
  }
  const tbody = h('tbody');
  const fill = (groups) => tbody.replaceChildren(...gapRows(market, groups));
  out.replaceChildren(
    h('p', { class: 'summary' }, `扫描 ${r.scanned} 条开放${market === 'tech' ? '技术需求' : '配套需求'}，其中 `, h('b', null, r.gaps), ` 条最佳匹配得分低于 ${r.threshold}。`),
    r.groups.length ? h('div', { class: 'charts' }, chart('按行业', byIndustry), chart('按地区', byRegion)) : h('p', { class: 'empty' }, '没有匹配不足的需求。'),
    r.groups.length ? h('table', { class: 'gap-table' },
      h('thead', null, h('tr', null, ['行业', '地区', '条数', '需求（最佳得分）'].map((t) => h('th', null, t)))),
      tbody) : null,
    r.groups.length > GAP_ROWS ? h('p', null, h('button', { id: 'gaps-all', onclick: (e) => { fill(r.groups); e.target.remove(); } }, `显示全部 ${r.groups.length} 组`)) : null);
  fill(r.groups.slice(0, GAP_ROWS));
}
const GAP_ROWS = 20;

function gapRows(market, groups) {
  return groups.map((g) => h('tr', null, h('td', null, g.industry_name || g.industry), h('td', null, g.region_name || g.region),
        h('td', { class: 'num' }, g.documents.length),
        h('td', null, h('ul', { class: 'plain' }, g.documents.slice(0, 5).map((d) => h('li', null,
          h('a', { href: `#/doc/${market === 'tech' ? 'need' : 'request'}/${encodeURIComponent(d.id)}` }, d.title), h('span', { class: 'muted' }, ' ' + fmt(d.best_score, 2)))),
        g.documents.length > 5 ? h('li', { class: 'muted' }, `等 ${g.documents.length} 条`) : null))));
}

window.addEventListener('hashchange', render);
showWho();
render();
