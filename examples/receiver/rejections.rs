//! Refused requests, counted and logged at a bounded rate.
//!
//! A flood of forged deliveries must not become a flood of log lines: after a line, the
//! refusals of the next `interval` are only counted, per reason, and summed up in one
//! line once the interval has passed. Every value a sender chose is logged escaped
//! (`{:?}`), so a `%0A` in a handler name cannot forge a line nor `%1B` drive a terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Counts refusals and says when a log line is due: at most one per interval.
pub struct RejectionLog {
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// When the last line was due; `None` before the first one.
    last_line: Option<Instant>,
    /// Refusals since that line that it did not describe, per reason.
    counts: BTreeMap<&'static str, u64>,
}

impl RejectionLog {
    /// A log writing at most one line per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self { interval, state: Mutex::new(State::default()) }
    }

    /// Counts one refusal at `now`, and returns the line to log if one is due: this
    /// refusal in full when the log was quiet, else a summary of the interval's counts.
    pub fn record(&self, now: Instant, status: u16, reason: &'static str, detail: &str) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = state.last_line.is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due && state.counts.is_empty() {
            state.last_line = Some(now);
            return Some(format!("request refused: {status} {reason}: {detail:?}"));
        }
        *state.counts.entry(reason).or_default() += 1;
        due.then(|| state.summary(now))
    }

    /// The summary of the refusals counted since the last line, if there are any and the
    /// interval has passed. Called periodically, so that the last burst is reported too.
    pub fn flush(&self, now: Instant) -> Option<String> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = state.last_line.is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        (due && !state.counts.is_empty()).then(|| state.summary(now))
    }
}

impl State {
    /// One line summing up the counts, which start again from zero.
    fn summary(&mut self, now: Instant) -> String {
        let counts = std::mem::take(&mut self.counts);
        let total: u64 = counts.values().sum();
        let mut line = format!("{total} requests refused since the last report:");
        for (reason, count) in counts {
            // Writing to a String cannot fail.
            let _ = write!(line, " {reason} {count},");
        }
        line.pop();
        self.last_line = Some(now);
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_flood_gives_one_line_per_interval_with_the_counts() {
        let log = RejectionLog::new(SECOND);
        let start = Instant::now();
        let mut lines = Vec::new();
        for i in 0..10_000u32 {
            // 10,000 refusals over 2.5 s.
            let now = start + Duration::from_micros(u64::from(i) * 250);
            let reason = if i % 2 == 0 { "webhook token" } else { "velo signature" };
            lines.extend(log.record(now, 401, reason, "forged"));
        }
        lines.extend(log.flush(start + Duration::from_secs(3)));
        assert_eq!(
            lines,
            [
                "request refused: 401 webhook token: \"forged\"",
                "4000 requests refused since the last report: velo signature 2000, webhook token 2000",
                "4000 requests refused since the last report: velo signature 2000, webhook token 2000",
                "1999 requests refused since the last report: velo signature 1000, webhook token 999",
            ]
        );
        assert_eq!(log.flush(start + Duration::from_secs(9)), None, "nothing left to report");
    }

    #[test]
    fn a_lone_refusal_is_logged_at_once_and_a_quiet_log_writes_nothing() {
        let log = RejectionLog::new(SECOND);
        let start = Instant::now();
        assert_eq!(log.flush(start), None);
        assert!(log.record(start, 404, "unknown event", "x").is_some());
        assert_eq!(log.flush(start + SECOND), None);
        assert!(log.record(start + 2 * SECOND, 404, "unknown event", "y").is_some(), "quiet again: in full");
    }

    #[test]
    fn values_a_sender_chose_cannot_forge_lines_or_escape_sequences() {
        let log = RejectionLog::new(SECOND);
        let forged = "wixCrm_onContactCreated\nERROR forged line \u{1b}[31mred";
        let line = log.record(Instant::now(), 404, "unknown event", forged).unwrap();
        assert!(!line.chars().any(char::is_control), "{line}");
        assert!(line.contains(r"\n") && line.contains(r"\u{1b}"), "{line}");
    }
}
