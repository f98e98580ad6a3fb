//! `--jsonl`: one JSON record a line in, one JSON object a line out, in order.

use std::io::{BufRead, Write};

use serde_json::{Value, json};

/// The longest input line accepted; longer records are answered with an error.
pub const MAX_LINE: usize = 1024 * 1024;

/// One input record.
pub struct Record {
    pub command: String,
    pub context: Option<Value>,
}

/// Reads records from `input` and writes what `answer(record, buf)` serialises into `buf`
/// for each, or `{"error": …}` for a record that cannot be read or answered. Blank lines are
/// skipped. Answers are written straight to the output, without a JSON value in between.
pub fn for_each(
    input: impl BufRead,
    mut output: impl Write,
    mut answer: impl FnMut(Record, &mut Vec<u8>) -> serde_json::Result<()>,
) -> anyhow::Result<()> {
    let mut lines = BoundedLines { input, line: 0 };
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(4096);
    while let Some(res) = lines.next_line(&mut buf)? {
        out.clear();
        let error = match res {
            LineResult::TooLong => Some(format!(
                "line {}: the record is longer than {MAX_LINE} bytes",
                lines.line
            )),
            LineResult::Line if buf.iter().all(u8::is_ascii_whitespace) => continue,
            LineResult::Line => match read_record(&buf) {
                Ok(r) => answer(r, &mut out).err().map(|e| e.to_string()),
                Err(e) => Some(format!("line {}: {e}", lines.line)),
            },
        };
        if let Some(e) = error {
            out.clear();
            serde_json::to_writer(&mut out, &json!({ "error": e }))?;
        }
        out.push(b'\n');
        output.write_all(&out)?;
    }
    output.flush()?;
    Ok(())
}

/// A well-formed record, read without building a JSON value first.
#[derive(serde::Deserialize)]
struct TypedRecord {
    command: String,
    #[serde(default)]
    context: Option<serde_json::Map<String, Value>>,
}

fn read_record(buf: &[u8]) -> Result<Record, String> {
    // Most records are well formed: read them straight into their fields; anything else
    // is read again as a JSON value to say what is wrong with it.
    if let Ok(t) = serde_json::from_slice::<TypedRecord>(buf) {
        return Ok(Record {
            command: t.command,
            context: t.context.map(Value::Object),
        });
    }
    read_record_slow(buf)
}

fn read_record_slow(buf: &[u8]) -> Result<Record, String> {
    let v: Value = serde_json::from_slice(buf).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut m) = v else {
        return Err("a record must be a JSON object with a \"command\" string".into());
    };
    let command = match m.remove("command") {
        Some(Value::String(s)) => s,
        Some(_) => return Err("\"command\" must be a string".into()),
        None => return Err("the record has no \"command\"".into()),
    };
    let context = match m.remove("context") {
        None | Some(Value::Null) => None,
        Some(c @ Value::Object(_)) => Some(c),
        Some(_) => return Err("\"context\" must be an object".into()),
    };
    Ok(Record { command, context })
}

enum LineResult {
    Line,
    TooLong,
}

struct BoundedLines<R> {
    input: R,
    line: usize,
}

impl<R: BufRead> BoundedLines<R> {
    /// Reads the next line into `buf` without ever holding more than `MAX_LINE` bytes.
    fn next_line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<LineResult>> {
        buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            if !too_long {
                if buf.len() + take > MAX_LINE {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(&chunk[..take]);
                }
            }
            self.input.consume(if done { take + 1 } else { take });
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(if too_long {
            LineResult::TooLong
        } else {
            LineResult::Line
        }))
    }
}
