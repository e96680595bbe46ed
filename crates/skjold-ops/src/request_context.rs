//! The request a log line belongs to (C10). The HTTP layer runs each request inside
//! [`scope`] and records its method, route, request id, client address, and at the end
//! its status and latency; the logging layer adds them, redacted like every other field,
//! to each line logged while the request is handled, as the `request` span.
//!
//! A task-local value rather than a `tracing` span: a span is entered and left on every
//! poll of the request and follows each database command to the driver's worker thread,
//! and on the contact reads that bookkeeping cost more server time than writing the log
//! lines did. Reading a task-local costs next to nothing.

use std::cell::RefCell;
use std::future::Future;

/// A recorded value, in clear until the layer redacts it.
#[derive(Debug, Clone)]
pub(crate) enum ContextValue {
    /// A string: quoted in human output.
    Text(String),
    /// A `Display` rendering: printed as is.
    Shown(String),
    Number(serde_json::Number),
}

tokio::task_local! {
    static REQUEST: RefCell<Vec<(&'static str, ContextValue)>>;
}

/// Runs `handling` as one request: what it logs carries the fields recorded in it.
pub async fn scope<F: Future>(handling: F) -> F::Output {
    REQUEST.scope(RefCell::new(Vec::new()), handling).await
}

fn record(name: &'static str, value: ContextValue) {
    // Outside a request there is nothing to record into.
    let _ = REQUEST.try_with(|fields| {
        let mut fields = fields.borrow_mut();
        match fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => fields.push((name, value)),
        }
    });
}

/// Records a text field of the current request (redacted when logged).
pub fn record_text(name: &'static str, value: impl Into<String>) {
    record(name, ContextValue::Text(value.into()));
}

/// Records a field of the current request as `value` displays itself (an address, a
/// method), redacted when logged.
pub fn record_display(name: &'static str, value: impl std::fmt::Display) {
    record(name, ContextValue::Shown(value.to_string()));
}

/// Records a number field of the current request.
pub fn record_number(name: &'static str, value: impl Into<serde_json::Number>) {
    record(name, ContextValue::Number(value.into()));
}

/// Records a fractional number field of the current request (not finite: not recorded).
pub fn record_float(name: &'static str, value: f64) {
    if let Some(number) = serde_json::Number::from_f64(value) {
        record(name, ContextValue::Number(number));
    }
}

/// Calls `each` with every field of the request being handled, if any.
pub(crate) fn for_each(mut each: impl FnMut(&'static str, &ContextValue)) -> bool {
    REQUEST
        .try_with(|fields| {
            for (name, value) in fields.borrow().iter() {
                each(name, value);
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<&'static str> {
        let mut names = Vec::new();
        for_each(|name, _| names.push(name));
        names
    }

    #[tokio::test]
    async fn fields_belong_to_their_request_only() {
        record_text("route", "/outside");
        assert!(!for_each(|_, _| {}), "no request here");
        let first = scope(async {
            record_text("route", "/a");
            record_number("status", 200u64);
            record_number("status", 404u64);
            tokio::task::yield_now().await;
            names()
        });
        let second = scope(async {
            record_text("method", "GET");
            names()
        });
        let (first, second) = tokio::join!(first, second);
        assert_eq!(
            first,
            ["route", "status"],
            "a field recorded twice is kept once"
        );
        assert_eq!(second, ["method"]);
    }
}
