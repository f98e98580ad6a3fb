//! The audit chain (SPEC §6): hashing, checkpoint signing and offline verification.
//!
//! Every audit record is a history record (one JSON object) with three fields added by the
//! chain: `seq` (1, 2, 3, …), `prev_hash` (the previous record's `hash`, or 64 zeros for the
//! first) and `hash`. A record's hash is SHA-256 over `prev_hash`, a newline and the record's
//! **canonical JSON** without its `hash` field: keys sorted, no whitespace, serde_json's
//! escaping. So editing any field, removing, inserting or reordering records breaks the chain
//! at the first record touched, and [`verify`] says which.
//!
//! A **checkpoint** is a signed statement "the chain's record `seq` has hash `h`", signed with
//! the server's ed25519 key over `expacti-checkpoint:v1:{seq}:{hash}`. Exports carry
//! checkpoints as lines `{"checkpoint": {"seq", "hash", "at", "key", "signature"}}`; a chain cut
//! short after a checkpoint is detected, and pinning the server's public key
//! (`expacti audit verify --key`) stops an attacker who rewrites the whole chain and signs it
//! with a key of their own.
//!
//! The server appends; this module only computes and checks, so the server and the offline
//! verifier cannot disagree.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(H[usize::from(b >> 4)]));
        s.push(char::from(H[usize::from(b & 15)]));
    }
    s
}

/// Bytes of lower- or upper-case hex; `None` when it is not hex of that length.
pub fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    let val = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (val(b[2 * i])? << 4) | val(b[2 * i + 1])?;
    }
    Some(out)
}

/// SHA-256 of `data`, in hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Canonical JSON: object keys sorted (serde_json's map is ordered), no whitespace.
pub fn canonical_json(v: &Value) -> String {
    // serde_json's `Map` is a BTreeMap (the `preserve_order` feature is not enabled), so
    // serialising sorts keys at every depth.
    v.to_string()
}

/// The hash of a record given the previous hash; the record's own `hash` field is ignored.
pub fn record_hash(prev_hash: &str, record: &Map<String, Value>) -> String {
    let mut r = record.clone();
    r.remove("hash");
    let canon = canonical_json(&Value::Object(r));
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canon.as_bytes());
    hex(&h.finalize())
}

/// Adds `seq`, `prev_hash` and `hash` to a record, chaining it after `prev_hash`.
pub fn seal(mut record: Map<String, Value>, seq: u64, prev_hash: &str) -> Map<String, Value> {
    record.insert("seq".into(), Value::from(seq));
    record.insert("prev_hash".into(), Value::from(prev_hash));
    let h = record_hash(prev_hash, &record);
    record.insert("hash".into(), Value::from(h));
    record
}

/// A signed statement about the chain's head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The record it covers.
    pub seq: u64,
    /// That record's hash.
    pub hash: String,
    /// When it was signed (RFC 3339).
    pub at: String,
    /// The signer's ed25519 public key, hex.
    pub key: String,
    /// The signature over [`checkpoint_message`], hex.
    pub signature: String,
}

/// The bytes a checkpoint signs.
pub fn checkpoint_message(seq: u64, hash: &str) -> String {
    format!("expacti-checkpoint:v1:{seq}:{hash}")
}

/// Signs a checkpoint with a 32-byte ed25519 secret key.
pub fn sign_checkpoint(secret: &[u8; 32], seq: u64, hash: &str, at: &str) -> Checkpoint {
    let key = SigningKey::from_bytes(secret);
    let sig = key.sign(checkpoint_message(seq, hash).as_bytes());
    Checkpoint {
        seq,
        hash: hash.to_string(),
        at: at.to_string(),
        key: hex(key.verifying_key().as_bytes()),
        signature: hex(&sig.to_bytes()),
    }
}

/// The public key (hex) of a secret key.
pub fn public_key(secret: &[u8; 32]) -> String {
    hex(SigningKey::from_bytes(secret).verifying_key().as_bytes())
}

/// Whether a checkpoint's signature is valid for its own key.
pub fn checkpoint_valid(c: &Checkpoint) -> bool {
    let (Some(k), Some(s)) = (unhex::<32>(&c.key), unhex::<64>(&c.signature)) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&k) else {
        return false;
    };
    vk.verify(
        checkpoint_message(c.seq, &c.hash).as_bytes(),
        &Signature::from_bytes(&s),
    )
    .is_ok()
}

/// One problem found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line of the export.
    pub line: usize,
    /// The record's `seq`, when it has one.
    pub seq: Option<u64>,
    /// What is wrong, in words.
    pub message: String,
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records read.
    pub records: usize,
    /// Checkpoints whose signature and hash check out.
    pub checkpoints: usize,
    /// The highest `seq` a valid checkpoint covers.
    pub covered_to: Option<u64>,
    /// Problems; empty means the export verifies.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the export verifies.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Verifies an exported audit trail (JSON Lines of records and checkpoints). The export may
/// start at any record (a filtered or partial export starts from that record's `prev_hash`);
/// with `key`, every checkpoint must be signed by that public key (hex) and at least one must
/// be present.
pub fn verify(text: &str, key: Option<&str>) -> Report {
    let keys: Vec<&str> = key.into_iter().collect();
    verify_keys(text, &keys)
}

/// [`verify`] with several pinned public keys (hex): every checkpoint must be signed by one of
/// them. After the server's signing key is rotated, pin the old key and the new one: the
/// checkpoints before the rotation carry the old key, the ones after it the new key.
pub fn verify_keys(text: &str, keys: &[&str]) -> Report {
    let mut rep = Report::default();
    let mut prev: Option<(u64, String)> = None;
    let mut hashes: std::collections::BTreeMap<u64, String> = std::collections::BTreeMap::new();
    let mut checkpoints: Vec<(usize, Checkpoint)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut find = |seq, message: String| {
            rep.findings.push(Finding {
                line: n,
                seq,
                message,
            })
        };
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                find(None, format!("not JSON: {e}"));
                continue;
            }
        };
        let Value::Object(m) = v else {
            find(None, "not a JSON object".into());
            continue;
        };
        if let Some(c) = m.get("checkpoint") {
            match serde_json::from_value::<Checkpoint>(c.clone()) {
                Ok(c) => checkpoints.push((n, c)),
                Err(e) => find(None, format!("unreadable checkpoint: {e}")),
            }
            continue;
        }
        rep.records += 1;
        let seq = m.get("seq").and_then(Value::as_u64);
        let (Some(seq), Some(ph), Some(h)) = (
            seq,
            m.get("prev_hash").and_then(Value::as_str),
            m.get("hash").and_then(Value::as_str),
        ) else {
            find(seq, "the record has no `seq`, `prev_hash` or `hash`".into());
            prev = None;
            continue;
        };
        let id = m
            .get("id")
            .and_then(Value::as_str)
            .map(|s| format!(" (id {s})"))
            .unwrap_or_default();
        if record_hash(ph, &m) != h {
            find(
                Some(seq),
                format!("record {seq}{id}: its hash does not match its content: it was edited"),
            );
        }
        match &prev {
            Some((pseq, phash)) => {
                if seq != pseq + 1 {
                    find(
                        Some(seq),
                        format!(
                            "record {seq}{id} follows record {pseq}: records were removed, inserted or reordered"
                        ),
                    );
                } else if ph != phash {
                    find(
                        Some(seq),
                        format!(
                            "record {seq}{id}: `prev_hash` is not record {pseq}'s hash: the record before it was replaced"
                        ),
                    );
                }
            }
            None if seq == 1 && ph != GENESIS => find(
                Some(seq),
                format!("record 1{id}: `prev_hash` is not the genesis hash"),
            ),
            None => {}
        }
        hashes.insert(seq, h.to_string());
        prev = Some((seq, h.to_string()));
    }
    let last = prev.as_ref().map(|(s, _)| *s);
    for (n, c) in checkpoints {
        let mut find = |message: String| {
            rep.findings.push(Finding {
                line: n,
                seq: Some(c.seq),
                message,
            })
        };
        if !checkpoint_valid(&c) {
            find(format!("checkpoint at record {}: bad signature", c.seq));
            continue;
        }
        if !keys.is_empty() && !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key)) {
            find(format!(
                "checkpoint at record {}: signed by key {}, not the expected key",
                c.seq, c.key
            ));
            continue;
        }
        match hashes.get(&c.seq) {
            Some(h) if *h == c.hash => {
                rep.checkpoints += 1;
                rep.covered_to = rep.covered_to.max(Some(c.seq));
            }
            Some(_) => find(format!(
                "checkpoint at record {}: the record's hash differs from the signed one",
                c.seq
            )),
            None if last.is_some_and(|l| c.seq > l) => find(format!(
                "checkpoint at record {}: the export ends at record {}: records were removed from the end",
                c.seq,
                last.unwrap_or(0)
            )),
            None => {}
        }
    }
    if !keys.is_empty() && rep.checkpoints == 0 && rep.findings.is_empty() {
        rep.findings.push(Finding {
            line: 0,
            seq: None,
            message: "no checkpoint signed by the expected key".into(),
        });
    }
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> (Vec<Map<String, Value>>, [u8; 32]) {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for i in 1..=n {
            let mut m = Map::new();
            m.insert("id".into(), Value::from(format!("r{i}")));
            m.insert("command".into(), Value::from(format!("echo {i}")));
            m.insert("decision".into(), Value::from("approved"));
            let r = seal(m, i, &prev);
            prev = r["hash"].as_str().unwrap_or_default().to_string();
            out.push(r);
        }
        (out, [7u8; 32])
    }

    fn export(recs: &[Map<String, Value>], cp: Option<&Checkpoint>) -> String {
        let mut s: String = recs
            .iter()
            .map(|r| format!("{}\n", Value::Object(r.clone())))
            .collect();
        if let Some(c) = cp {
            s.push_str(&serde_json::json!({ "checkpoint": c }).to_string());
            s.push('\n');
        }
        s
    }

    #[test]
    fn a_sealed_chain_verifies_and_every_tampering_is_named() {
        let (recs, key) = chain(5);
        let cp = sign_checkpoint(&key, 5, recs[4]["hash"].as_str().unwrap(), "t");
        let pk = public_key(&key);
        let good = export(&recs, Some(&cp));
        let r = verify(&good, Some(&pk));
        assert!(r.ok(), "{:?}", r.findings);
        assert_eq!((r.records, r.checkpoints, r.covered_to), (5, 1, Some(5)));

        // Edited.
        let mut e = recs.clone();
        e[2].insert("decision".into(), Value::from("denied"));
        let r = verify(&export(&e, Some(&cp)), Some(&pk));
        assert_eq!(r.findings[0].seq, Some(3));
        assert!(r.findings[0].message.contains("edited"), "{:?}", r.findings);

        // Removed.
        let mut d = recs.clone();
        d.remove(1);
        let r = verify(&export(&d, Some(&cp)), Some(&pk));
        assert!(
            r.findings
                .iter()
                .any(|f| f.seq == Some(3) && f.message.contains("removed"))
        );

        // Reordered.
        let mut o = recs.clone();
        o.swap(1, 2);
        assert!(!verify(&export(&o, Some(&cp)), Some(&pk)).ok());

        // Cut short at the end: the checkpoint says there was more.
        let r = verify(&export(&recs[..4], Some(&cp)), Some(&pk));
        assert!(
            r.findings
                .iter()
                .any(|f| f.message.contains("removed from the end"))
        );

        // After a rotation, both keys pinned: checkpoints by either verify, by a third do not.
        let other = [9u8; 32];
        let cp2 = sign_checkpoint(&other, 5, recs[4]["hash"].as_str().unwrap(), "t");
        let rotated = format!("{good}{}\n", serde_json::json!({ "checkpoint": cp2 }));
        let (old, new) = (public_key(&key), public_key(&other));
        assert!(verify_keys(&rotated, &[&old, &new]).ok());
        assert!(!verify_keys(&rotated, &[&old]).ok());
        // Rewritten and re-signed with another key.
        let other = sign_checkpoint(&[9u8; 32], 5, recs[4]["hash"].as_str().unwrap(), "t");
        let r = verify(&export(&recs, Some(&other)), Some(&pk));
        assert!(
            r.findings
                .iter()
                .any(|f| f.message.contains("not the expected key"))
        );

        // A forged signature.
        let mut bad = cp.clone();
        bad.hash = recs[3]["hash"].as_str().unwrap().to_string();
        bad.seq = 4;
        assert!(!checkpoint_valid(&bad));
    }

    #[test]
    fn hex_round_trips() {
        let b = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&b), "0001abff");
        assert_eq!(unhex::<4>("0001ABff"), Some(b));
        assert_eq!(unhex::<4>("0001abf"), None);
        assert_eq!(unhex::<4>("0001abfg"), None);
    }
}
