//! Masking secrets in a command before it leaves the server in a notification (Slack, email,
//! webhooks, pagers): passwords in URLs, bearer and basic credentials, well-known token
//! shapes, and values of secret-looking assignments and options. The stored command and the
//! audit trail keep the exact text; only what is sent out is masked.

use std::sync::OnceLock;

use regex::Regex;

/// What a masked secret is replaced with.
pub const MASK: &str = "****";

fn rules() -> &'static [(Regex, &'static str)] {
    static R: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    R.get_or_init(|| {
        let pats: &[(&str, &'static str)] = &[
            // scheme://user:password@host
            (r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(@)", "${1}****${2}"),
            // Authorization: Bearer/Basic/token …
            (r"(?i)(\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}", "${1}****"),
            // NAME=value and --name=value / --name value where NAME looks secret.
            (
                r"(?i)(\b[A-Za-z_]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)[A-Za-z_]*=)('[^']*'|\x22[^\x22]*\x22|[^\s;&|]+)",
                "${1}****",
            ),
            (
                r"(?i)(--?(?:pass(?:word)?|secret|token|api-key|apikey|private-key)[ ]+)('[^']*'|\x22[^\x22]*\x22|[^\s;&|]+)",
                "${1}****",
            ),
            // Well-known token shapes.
            (r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})", "****"),
            (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "****"),
            (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "****"),
            (r"\bsk-[A-Za-z0-9_-]{20,}", "****"),
            (r"\bglpat-[A-Za-z0-9_-]{20,}", "****"),
            (r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", "****"),
            // mysql -pSECRET
            (r"(\bmysql(?:dump)?\b[^;&|]*\s-p)[^\s;&|]+", "${1}****"),
        ];
        pats.iter()
            .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, *r)))
            .collect()
    })
}

/// The command with its secrets replaced by [`MASK`].
pub fn mask_secrets(command: &str) -> String {
    let mut out = command.to_string();
    for (re, rep) in rules() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *rep).into_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "curl https://bob:hunter2@example.com/x",
                "curl https://bob:****@example.com/x",
            ),
            (
                "curl -H 'Authorization: Bearer abcdefghijklmnop' https://x",
                "curl -H 'Authorization: Bearer ****' https://x",
            ),
            (
                "DB_PASSWORD=s3cr3t ./migrate up",
                "DB_PASSWORD=**** ./migrate up",
            ),
            (
                "deploy --token abc123 --env prod",
                "deploy --token **** --env prod",
            ),
            ("deploy --api-key=abc123", "deploy --api-key=****"),
            ("echo ghp_abcdefghijklmnopqrstuvwxyz0123", "echo ****"),
            ("aws s3 ls AKIAABCDEFGHIJKLMNOP", "aws s3 ls ****"),
            (
                "mysql -u root -phunter2 -e 'select 1'",
                "mysql -u root -p**** -e 'select 1'",
            ),
            (
                "kubectl set image deployment/api api=ghcr.io/acme/api:1.2.3",
                "kubectl set image deployment/api api=ghcr.io/acme/api:1.2.3",
            ),
        ];
        for (i, o) in cases {
            assert_eq!(mask_secrets(i), o, "{i}");
        }
    }
}
