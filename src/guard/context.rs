//! [`CallContext`]: everything about one call attempt that the rules look at, besides
//! the number.

use jiff::Timestamp;

use crate::number::{Number, RegionId, ZoneId};
use crate::policy::{Mode, Purpose};

/// Everything about one call attempt that the rules look at, besides the number.
#[derive(Clone, Copy, Debug)]
pub struct CallContext<'a> {
    /// The instant of the attempt (the clock is read only by callers).
    pub now: Timestamp,
    /// Campaign id (caps per campaign, abandon-rate counters, campaign filters, consent scope).
    pub campaign: Option<&'a str>,
    /// Subject (same-subject caps in FL/OK/MD, the debt under Regulation F).
    pub subject: Option<&'a str>,
    /// The caller ID that will be presented.
    pub caller_id: Option<Number>,
    pub purpose: Purpose,
    pub mode: Mode,
    /// The callee's region when known from elsewhere (address on file). Rules of this
    /// region apply too, on top of those of the number's region.
    pub known_region: Option<RegionId>,
    /// The callee's time zone when known from elsewhere. Calling windows must hold in it
    /// as well as in every zone of the number.
    pub known_zone: Option<ZoneId>,
}

impl<'a> CallContext<'a> {
    /// A sales call in predictive mode at `now`, with no campaign, subject or caller ID.
    pub fn new(now: Timestamp) -> CallContext<'a> {
        CallContext {
            now,
            campaign: None,
            subject: None,
            caller_id: None,
            purpose: Purpose::Sales,
            mode: Mode::Predictive,
            known_region: None,
            known_zone: None,
        }
    }
    #[must_use]
    pub fn campaign(mut self, c: &'a str) -> Self {
        self.campaign = Some(c);
        self
    }
    #[must_use]
    pub fn subject(mut self, s: &'a str) -> Self {
        self.subject = Some(s);
        self
    }
    #[must_use]
    pub fn caller_id(mut self, n: Number) -> Self {
        self.caller_id = Some(n);
        self
    }
    #[must_use]
    pub fn purpose(mut self, p: Purpose) -> Self {
        self.purpose = p;
        self
    }
    #[must_use]
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
    /// The callee's region known from elsewhere (e.g. the address on file).
    #[must_use]
    pub fn known_region(mut self, r: RegionId) -> Self {
        self.known_region = Some(r);
        self
    }
    /// The callee's time zone known from elsewhere (e.g. the address on file).
    #[must_use]
    pub fn known_zone(mut self, z: ZoneId) -> Self {
        self.known_zone = Some(z);
        self
    }
}
