//! The entries file of one kind: ids, metadata, tombstone flags and raw vectors.
//!
//! Layout (little-endian):
//! ```text
//! header:  magic "DJVECTR\0" | version u32 | dim u32 | fingerprint len u32 + bytes
//!          | count u64 | payload crc32 u32
//! payload: count × (id len u32 + bytes | live u8 | status u8
//!                   | region len u16 + bytes | industry len u16 + bytes)
//!          then count × dim × binary16 (half precision, as u16 bits)
//! ```
//! The reader also computes the CRC32 of the whole file, which the manifest records.

use super::data::Data;
use super::filter::VectorMeta;
use super::half::Half;
use crate::model::Status;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

const MAGIC: &[u8; 8] = b"DJVECTR\0";
/// 2: vectors in half precision (1: single).
const VERSION: u32 = 2;
/// Bytes per stored vector component.
const COMPONENT_BYTES: usize = std::mem::size_of::<Half>();
/// Vectors converted per read or write call.
const VECTOR_CHUNK: usize = 4_096;
/// Longest id, region or industry accepted on reading.
const MAX_FIELD: usize = 1 << 16;

/// A writer that keeps the CRC32 of everything written through it.
struct Crc<W> {
    inner: W,
    hasher: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that keeps the CRC32 of the whole file and of the payload so far.
struct CrcReader<R> {
    inner: R,
    file: crc32fast::Hasher,
    payload: Option<crc32fast::Hasher>,
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.file.update(&buf[..n]);
        if let Some(p) = &mut self.payload {
            p.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn status_code(s: Status) -> u8 {
    match s {
        Status::Open => 0,
        Status::Closed => 1,
        Status::Expired => 2,
    }
}

fn status_of(code: u8) -> Option<Status> {
    match code {
        0 => Some(Status::Open),
        1 => Some(Status::Closed),
        2 => Some(Status::Expired),
        _ => None,
    }
}

fn put_str16(w: &mut impl Write, s: Option<&str>) -> std::io::Result<()> {
    let s = s.unwrap_or("");
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&s.as_bytes()[..len as usize])
}

/// Writes `data` to `path` and fsyncs it.
pub(crate) fn write(path: &Path, data: &Data, fingerprint: &str) -> std::io::Result<()> {
    let file = File::create(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(MAGIC)?;
    w.write_all(&VERSION.to_le_bytes())?;
    w.write_all(&(data.dim() as u32).to_le_bytes())?;
    w.write_all(&(fingerprint.len() as u32).to_le_bytes())?;
    w.write_all(fingerprint.as_bytes())?;
    w.write_all(&(data.entries() as u64).to_le_bytes())?;
    let crc_at = 8 + 4 + 4 + 4 + fingerprint.len() as u64 + 8;
    w.write_all(&0u32.to_le_bytes())?;
    let mut p = Crc {
        inner: w,
        hasher: crc32fast::Hasher::new(),
    };
    for slot in 0..data.entries() {
        let id = data.id(slot).as_bytes();
        p.write_all(&(id.len() as u32).to_le_bytes())?;
        p.write_all(id)?;
        let meta = data.meta(slot);
        p.write_all(&[data.is_live(slot) as u8, status_code(meta.status)])?;
        put_str16(&mut p, meta.region.as_deref())?;
        put_str16(&mut p, meta.industry.as_deref())?;
    }
    let mut buf = Vec::with_capacity(VECTOR_CHUNK * data.dim() * COMPONENT_BYTES);
    let mut slot = 0;
    while slot < data.entries() {
        buf.clear();
        let end = (slot + VECTOR_CHUNK).min(data.entries());
        for s in slot..end {
            for x in data.vector(s) {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        p.write_all(&buf)?;
        slot = end;
    }
    let crc = p.hasher.finalize();
    let mut w = p.inner;
    w.seek(SeekFrom::Start(crc_at))?;
    w.write_all(&crc.to_le_bytes())?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

fn take<const N: usize>(r: &mut impl Read) -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)
        .map_err(|e| format!("truncated: {e}"))?;
    Ok(b)
}

fn take_string(r: &mut impl Read, len: usize) -> Result<String, String> {
    if len > MAX_FIELD {
        return Err(format!("field of {len} bytes"));
    }
    let mut b = vec![0u8; len];
    r.read_exact(&mut b)
        .map_err(|e| format!("truncated: {e}"))?;
    String::from_utf8(b).map_err(|_| "field is not UTF-8".to_string())
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Reads an entries file, checking header, payload CRC and, when given, the
/// CRC32 of the whole file. Returns the entries; any defect is an error message.
pub(crate) fn read(
    path: &Path,
    dim: usize,
    fingerprint: &str,
    file_crc: Option<u32>,
) -> Result<Data, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let file_len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut r = CrcReader {
        inner: BufReader::with_capacity(1 << 20, file),
        file: crc32fast::Hasher::new(),
        payload: None,
    };
    if &take::<8>(&mut r)? != MAGIC {
        return Err("bad magic".into());
    }
    let version = u32::from_le_bytes(take(&mut r)?);
    if version != VERSION {
        return Err(format!("format version {version}, expected {VERSION}"));
    }
    let file_dim = u32::from_le_bytes(take(&mut r)?) as usize;
    if file_dim != dim {
        return Err(format!("dimension {file_dim}, expected {dim}"));
    }
    let fp_len = u32::from_le_bytes(take(&mut r)?) as usize;
    let fp = take_string(&mut r, fp_len)?;
    if fp != fingerprint {
        return Err(format!(
            "model fingerprint `{fp}`, expected `{fingerprint}`"
        ));
    }
    let count = u64::from_le_bytes(take(&mut r)?);
    if count.saturating_mul((dim * COMPONENT_BYTES) as u64) > file_len {
        return Err(format!("{count} entries cannot fit in {file_len} bytes"));
    }
    let count = count as usize;
    let payload_crc = u32::from_le_bytes(take(&mut r)?);
    r.payload = Some(crc32fast::Hasher::new());
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let id_len = u32::from_le_bytes(take(&mut r)?) as usize;
        let id = take_string(&mut r, id_len)?;
        let [live, status] = take::<2>(&mut r)?;
        let status = status_of(status).ok_or("bad status code")?;
        let region_len = u16::from_le_bytes(take(&mut r)?) as usize;
        let region = opt(take_string(&mut r, region_len)?);
        let industry_len = u16::from_le_bytes(take(&mut r)?) as usize;
        let industry = opt(take_string(&mut r, industry_len)?);
        let meta = VectorMeta {
            region,
            industry,
            status,
        };
        entries.push((id.into_boxed_str(), meta, live != 0));
    }
    let mut data = Data::new(dim);
    let mut bytes = vec![0u8; VECTOR_CHUNK * dim * COMPONENT_BYTES];
    let mut halves: Vec<Half> = Vec::with_capacity(VECTOR_CHUNK * dim);
    let mut entries = entries.into_iter();
    let mut left = count;
    while left > 0 {
        let n = left.min(VECTOR_CHUNK);
        let chunk = &mut bytes[..n * dim * COMPONENT_BYTES];
        r.read_exact(chunk).map_err(|e| format!("truncated: {e}"))?;
        halves.clear();
        halves.extend(
            chunk
                .chunks_exact(COMPONENT_BYTES)
                .map(|b| Half::from_le_bytes([b[0], b[1]])),
        );
        for v in halves.chunks_exact(dim) {
            let (id, meta, live) = entries.next().ok_or("entry count mismatch")?;
            if live && data.slot_of(&id).is_some() {
                return Err(format!("id `{id}` is live twice"));
            }
            data.push_raw(id, meta, live, v);
        }
        left -= n;
    }
    let payload = r.payload.take().map(|h| h.finalize()).unwrap_or_default();
    if payload != payload_crc {
        return Err("payload checksum mismatch".into());
    }
    let mut rest = [0u8; 1];
    if r.read(&mut rest).map_err(|e| e.to_string())? != 0 {
        return Err("trailing bytes".into());
    }
    if let Some(expected) = file_crc {
        if r.file.clone().finalize() != expected {
            return Err("file checksum differs from the manifest".into());
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::vector::half::encode;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.vec");
        let mut d = Data::new(3);
        let meta = VectorMeta {
            region: Some("520102".into()),
            industry: Some("3811".into()),
            status: Status::Closed,
        };
        d.upsert("a", &encode(&[1.0, 0.0, 0.0]), meta.clone());
        d.upsert("b", &encode(&[0.0, 1.0, 0.0]), VectorMeta::default());
        d.upsert("a", &encode(&[0.0, 0.6, 0.8]), meta.clone());
        write(&path, &d, "fp").unwrap();
        let crc = crc32fast::hash(&std::fs::read(&path).unwrap());
        let back = read(&path, 3, "fp", Some(crc)).unwrap();
        assert_eq!(back.entries(), 3);
        assert_eq!(back.live_count(), 2);
        assert_eq!(
            back.vector(back.slot_of("a").unwrap()),
            &encode(&[0.0, 0.6, 0.8])[..],
            "bit for bit"
        );
        assert_eq!(back.meta(back.slot_of("a").unwrap()), &meta);
        assert!(read(&path, 4, "fp", None).is_err());
        assert!(read(&path, 3, "other", None).is_err());
        assert!(read(&path, 3, "fp", Some(crc ^ 1)).is_err());
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(&path, 3, "fp", None).is_err());
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(read(&path, 3, "fp", None).is_err());
    }
}
