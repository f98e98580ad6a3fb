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
/// skipped. Answers are written straight to the output, without a JSON value in between,
/// and always in input order.
///
/// Records are answered on every core: the reader hands batches to one worker a core, and
/// the answers are written in input order as they complete (at most a few batches are held
/// at any time, so memory stays bounded whatever the input's length).
pub fn for_each<W, F>(input: impl BufRead, output: W, answer: F) -> anyhow::Result<()>
where
    W: Write + Send,
    F: Fn(Record, &mut Vec<u8>) -> serde_json::Result<()> + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    for_each_on(input, output, answer, threads)
}

/// Records a worker answers at once.
const BATCH: usize = 256;

/// One line read (with its number), or `None` when it was too long to keep.
type Item = (usize, Option<Vec<u8>>);

/// [`for_each`] on `threads` workers (1: in this thread, one record at a time).
pub fn for_each_on<W, F>(
    input: impl BufRead,
    mut output: W,
    answer: F,
    threads: usize,
) -> anyhow::Result<()>
where
    W: Write + Send,
    F: Fn(Record, &mut Vec<u8>) -> serde_json::Result<()> + Sync,
{
    let mut lines = BoundedLines { input, line: 0 };
    if threads <= 1 {
        let mut buf = Vec::new();
        let mut out = Vec::with_capacity(4096);
        while let Some(res) = lines.next_line(&mut buf)? {
            let line = matches!(res, LineResult::Line).then_some(buf.as_slice());
            out.clear();
            answer_item(lines.line, line, &answer, &mut out)?;
            output.write_all(&out)?;
        }
        output.flush()?;
        return Ok(());
    }
    use std::sync::{Arc, Mutex, mpsc};
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<Item>)>(threads * 2);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::sync_channel::<(usize, anyhow::Result<Vec<u8>>)>(threads * 2);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..threads {
            let rx = Arc::clone(&work_rx);
            let tx = done_tx.clone();
            let answer = &answer;
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next batch.
                    let next = rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|r| r.recv().map_err(|_| ()));
                    let Ok((seq, batch)) = next else { break };
                    let mut out = Vec::with_capacity(batch.len() * 512);
                    let res = batch
                        .into_iter()
                        .try_for_each(|(n, line)| answer_item(n, line.as_deref(), answer, &mut out))
                        .map(|()| out);
                    if tx.send((seq, res)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // The writer: answers in input order, whatever order the workers finish in.
        let writer = scope.spawn(move || -> anyhow::Result<()> {
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0usize;
            for (seq, res) in done_rx {
                pending.insert(seq, res);
                while let Some(res) = pending.remove(&next) {
                    output.write_all(&res?)?;
                    next += 1;
                }
            }
            output.flush()?;
            Ok(())
        });
        let mut seq = 0;
        let mut batch = Vec::with_capacity(BATCH);
        let mut buf = Vec::new();
        let mut read = || -> anyhow::Result<()> {
            while let Some(res) = lines.next_line(&mut buf)? {
                let line = matches!(res, LineResult::Line).then(|| std::mem::take(&mut buf));
                batch.push((lines.line, line));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if work_tx.send((seq, full)).is_err() {
                        return Ok(());
                    }
                    seq += 1;
                }
            }
            if !batch.is_empty() {
                let _ = work_tx.send((seq, std::mem::take(&mut batch)));
            }
            Ok(())
        };
        let read_result = read();
        drop(work_tx);
        let write_result = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the output writer stopped"))?;
        read_result.and(write_result)
    })
}

/// Appends the answer to line number `n` (and a newline) to `out`: `None` for a line too
/// long to keep; blank lines add nothing.
fn answer_item(
    n: usize,
    line: Option<&[u8]>,
    answer: &impl Fn(Record, &mut Vec<u8>) -> serde_json::Result<()>,
    out: &mut Vec<u8>,
) -> anyhow::Result<()> {
    let start = out.len();
    let error = match line {
        None => Some(format!(
            "line {n}: the record is longer than {MAX_LINE} bytes"
        )),
        Some(buf) if buf.iter().all(u8::is_ascii_whitespace) => return Ok(()),
        Some(buf) => match read_record(buf) {
            Ok(r) => answer(r, out).err().map(|e| e.to_string()),
            Err(e) => Some(format!("line {n}: {e}")),
        },
    };
    if let Some(e) = error {
        out.truncate(start);
        serde_json::to_writer(&mut *out, &json!({ "error": e }))?;
    }
    out.push(b'\n');
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Many workers give the same lines, in the same order, as one: good records, blank
    /// lines, lines that are not JSON, records without a command, and answers that fail.
    #[test]
    fn workers_answer_in_input_order() {
        let mut input = String::new();
        for i in 0..2000 {
            match i % 7 {
                0 => input.push('\n'),
                1 => input.push_str("not json\n"),
                2 => input.push_str("{\"context\": {}}\n"),
                3 => input.push_str(&format!("{{\"command\": \"fail {i}\"}}\n")),
                _ => input.push_str(&format!("{{\"command\": \"echo {i}\"}}\n")),
            }
        }
        let answer = |r: Record, out: &mut Vec<u8>| {
            if r.command.starts_with("fail") {
                return Err(serde::ser::Error::custom(format!("cannot: {}", r.command)));
            }
            serde_json::to_writer(out, &json!({ "echo": r.command }))
        };
        let run = |threads: usize| {
            let mut out = Vec::new();
            for_each_on(input.as_bytes(), &mut out, answer, threads).unwrap();
            String::from_utf8(out).unwrap()
        };
        let one = run(1);
        assert_eq!(one.lines().count(), 2000 - 2000 / 7 - 1);
        assert!(one.lines().any(|l| l.contains("line 2: not JSON")));
        assert!(one.lines().any(|l| l == r#"{"error":"cannot: fail 3"}"#));
        for threads in [2, 3, 8] {
            assert_eq!(run(threads), one, "{threads} workers");
        }
    }
}
