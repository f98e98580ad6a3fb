//! The Python binding (SPEC §10): thin functions over `expacti-core` that hand back the same
//! JSON the CLI prints; `expacti/__init__.py` turns it into plain Python objects. No decision
//! is made here.

use std::sync::OnceLock;

use expacti_core::policy::Context;
use expacti_core::suggest::{SuggestOptions, read_history, suggest};
use expacti_core::{Level, RiskEngine};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

fn engine() -> PyResult<&'static RiskEngine> {
    static ENGINE: OnceLock<Result<RiskEngine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| RiskEngine::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("the built-in risk catalogue: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// `parse` JSON of SPEC §5.
#[pyfunction]
fn parse_json(command: &str) -> PyResult<String> {
    to_json(&expacti_core::parse(command))
}

/// `score` JSON of SPEC §5: `{"risk": {...}}`.
#[pyfunction]
fn score_json(command: &str) -> PyResult<String> {
    let risk = engine()?.score_str(command);
    to_json(&serde_json::json!({ "risk": risk }))
}

/// A compiled policy.
#[pyclass(frozen, module = "expacti._expacti")]
struct Policy {
    inner: expacti_core::Policy,
}

#[pymethods]
impl Policy {
    /// Compiles a policy; a bad one raises `ValueError` naming `file:line:col`.
    #[staticmethod]
    #[pyo3(signature = (text, file = "<policy>"))]
    fn from_toml(text: &str, file: &str) -> PyResult<Policy> {
        expacti_core::Policy::from_toml(text, file)
            .map(|inner| Policy { inner })
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// `check` JSON of SPEC §5; `context_json` is a JSON object of strings.
    #[pyo3(signature = (command, context_json = None))]
    fn check_json(&self, command: &str, context_json: Option<&str>) -> PyResult<String> {
        let ctx: Context = match context_json {
            Some(c) => serde_json::from_str(c)
                .map_err(|e| PyValueError::new_err(format!("context: {e}")))?,
            None => Context::default(),
        };
        to_json(&self.inner.check(command, &ctx))
    }

    /// The policy's lint findings and failing tests, as JSON.
    fn lint_json(&self) -> PyResult<String> {
        to_json(&self.inner.lint())
    }
}

/// Suggestions (SPEC §7) from JSON-lines history, as JSON.
#[pyfunction]
#[pyo3(signature = (history_jsonl, policy = None, min_support = 3, max_risk = "medium"))]
fn suggest_json(
    history_jsonl: &str,
    policy: Option<&Policy>,
    min_support: usize,
    max_risk: &str,
) -> PyResult<String> {
    let (records, _) = read_history(history_jsonl, false)
        .map_err(|e| PyValueError::new_err(format!("history record {}: {}", e.line, e.message)))?;
    let max_risk: Level = max_risk
        .parse()
        .map_err(|e| PyValueError::new_err(format!("max_risk: {e}")))?;
    let opts = SuggestOptions {
        min_support: min_support.max(1),
        max_risk,
        ..SuggestOptions::default()
    };
    let p = policy.map(|p| &p.inner);
    let risk = match p {
        Some(p) => &p.risk,
        None => engine()?,
    };
    to_json(&suggest(&records, p, risk, &opts))
}

#[pymodule]
fn _expacti(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse_json, m)?)?;
    m.add_function(wrap_pyfunction!(score_json, m)?)?;
    m.add_function(wrap_pyfunction!(suggest_json, m)?)?;
    m.add_class::<Policy>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
