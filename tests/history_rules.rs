//! Caps and cool-offs on real dates and zones: exact clear instants for the regimes of the
//! issue (FR, FL, US Reg F, UK, IT).

use dialguard::history::*;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// Local days of a real zone, through jiff (the guard uses its own tables).
struct Zone(TimeZone);

impl Zone {
    fn new(name: &str) -> Zone {
        Zone(TimeZone::get(name).unwrap())
    }
    /// Unix seconds of a local wall-clock time.
    fn at(&self, y: i16, m: i8, d: i8, h: i8, mi: i8) -> i64 {
        self.0
            .to_timestamp(DateTime::constant(y, m, d, h, mi, 0, 0))
            .unwrap()
            .as_second()
    }
}

impl LocalDays for Zone {
    fn day_of(&self, t: i64) -> i32 {
        let off = self
            .0
            .to_offset(Timestamp::from_second(t).unwrap())
            .seconds() as i64;
        (t + off).div_euclid(86_400) as i32
    }
    fn start_of(&self, day: i32) -> i64 {
        let midnight = Timestamp::from_second(day as i64 * 86_400)
            .unwrap()
            .to_zoned_datetime(TimeZone::UTC)
            .datetime();
        self.0.to_timestamp(midnight).unwrap().as_second()
    }
}

const H: i64 = 3600;
const D: i64 = 86_400;

fn ev(t: i64, campaign: Tag, subject: Tag, outcome: Option<Outcome>) -> Event {
    Event::new(t, campaign, subject, outcome, false).unwrap()
}

fn q(campaign: Tag, subject: Tag) -> Query {
    Query {
        campaign,
        subject,
        live_agent: false,
    }
}

#[test]
fn fr_four_attempts_in_thirty_days_rolling_and_calendar() {
    let paris = Zone::new("Europe/Paris");
    let times = [
        paris.at(2026, 2, 12, 10, 0),
        paris.at(2026, 2, 19, 10, 0),
        paris.at(2026, 2, 26, 10, 0),
        paris.at(2026, 3, 5, 10, 0),
    ];
    assert_eq!(
        times,
        [1_770_886_800, 1_771_491_600, 1_772_096_400, 1_772_701_200]
    );
    let events: Vec<Event> = times
        .iter()
        .map(|&t| ev(t, Tag::of("c"), Tag::NONE, None))
        .collect();
    let now = paris.at(2026, 3, 10, 11, 0);
    assert_eq!(now, 1_773_136_800);
    let rule = CapRule {
        max: 4,
        within: Span::Elapsed(30 * D),
        key: CapKey::Number,
        count: CountKind::Attempts,
    };
    let query = q(Tag::of("other"), Tag::NONE);
    // Rolling: 12 Feb 10:00 + 30 × 24 h = 14 Mar 10:00 Paris = 09:00Z.
    let clear = cap_clear_at(&events, &rule, &query, now, &paris);
    assert_eq!(clear, paris.at(2026, 3, 14, 10, 0));
    assert_eq!(clear, 1_773_478_800);
    // Calendar days: 12 Feb is day 1 of 30, so it stops counting at 14 Mar 00:00 Paris.
    let cal = CapRule {
        within: Span::CalendarDays(30),
        ..rule
    };
    let clear = cap_clear_at(&events, &cal, &query, now, &paris);
    assert_eq!(clear, paris.at(2026, 3, 14, 0, 0));
    assert_eq!(clear, 1_773_442_800);
    // Monotone: asking later than the clear instant answers that instant.
    assert_eq!(
        cap_clear_at(&events, &rule, &query, 1_773_478_801, &paris),
        1_773_478_801
    );
    // With three events the cap is open now.
    assert_eq!(cap_clear_at(&events[1..], &rule, &query, now, &paris), now);
}

#[test]
fn fl_three_per_24h_per_subject() {
    let ny = Zone::new("America/New_York");
    let debt = Tag::of("debt-1");
    let other = Tag::of("debt-2");
    let mut events: Vec<Event> = [9, 10, 11]
        .iter()
        .map(|&h| ev(ny.at(2026, 6, 1, h, 0), Tag::of("c"), debt, None))
        .collect();
    events.push(ev(ny.at(2026, 6, 1, 11, 30), Tag::of("c"), other, None));
    let rule = CapRule {
        max: 3,
        within: Span::Elapsed(24 * H),
        key: CapKey::NumberSubject,
        count: CountKind::Attempts,
    };
    let now = ny.at(2026, 6, 1, 12, 0);
    assert_eq!(
        cap_clear_at(&events, &rule, &q(Tag::NONE, debt), now, &ny),
        ny.at(2026, 6, 2, 9, 0)
    );
    assert_eq!(ny.at(2026, 6, 2, 9, 0), 1_780_405_200);
    // The other subject has one attempt: open now.
    assert_eq!(
        cap_clear_at(&events, &rule, &q(Tag::NONE, other), now, &ny),
        now
    );
    // Keyed by number, all four count: the 3rd-newest (10:00) must age out.
    let by_number = CapRule {
        key: CapKey::Number,
        ..rule
    };
    assert_eq!(
        cap_clear_at(&events, &by_number, &q(Tag::NONE, other), now, &ny),
        ny.at(2026, 6, 2, 10, 0)
    );
}

#[test]
fn unordered_events_give_the_same_answer() {
    let ny = Zone::new("America/New_York");
    let s = Tag::of("s");
    let ts = [5, 1, 4, 2, 3].map(|h| ny.at(2026, 6, 1, h + 8, 0));
    let events: Vec<Event> = ts.iter().map(|&t| ev(t, Tag::NONE, s, None)).collect();
    let mut sorted = events.clone();
    sorted.sort_by_key(Event::instant);
    let rule = CapRule {
        max: 3,
        within: Span::Elapsed(24 * H),
        key: CapKey::Number,
        count: CountKind::Attempts,
    };
    let now = ny.at(2026, 6, 1, 14, 0);
    let want = ny.at(2026, 6, 2, 11, 0); // 5 live, max 3: the 3rd oldest (11:00) ages out
    assert_eq!(
        cap_clear_at(&sorted, &rule, &Query::default(), now, &ny),
        want
    );
    assert_eq!(
        cap_clear_at(&events, &rule, &Query::default(), now, &ny),
        want
    );
}

#[test]
fn reg_f_seven_in_seven_calendar_days_per_debt() {
    let ny = Zone::new("America/New_York");
    let debt = Tag::of("debt-77");
    let mut events = vec![ev(ny.at(2026, 6, 1, 9, 0), Tag::NONE, debt, None)];
    for _ in 0..2 {
        events.push(ev(
            ny.at(2026, 6, 2, 9, 0),
            Tag::NONE,
            debt,
            Some(Outcome::NoAnswer),
        ));
    }
    for h in 0..4 {
        events.push(ev(
            ny.at(2026, 6, 3, 9 + h, 0),
            Tag::NONE,
            debt,
            Some(Outcome::Busy),
        ));
    }
    // An attempt on another debt is not counted.
    events.push(ev(
        ny.at(2026, 6, 3, 15, 0),
        Tag::NONE,
        Tag::of("debt-78"),
        None,
    ));
    let rule = CapRule {
        max: 7,
        within: Span::CalendarDays(7),
        key: CapKey::NumberSubject,
        count: CountKind::Attempts,
    };
    let now = ny.at(2026, 6, 5, 10, 0);
    let query = q(Tag::NONE, debt);
    // 7 attempts; the 1 June one stops counting when 8 June starts (1 Jun is day 1 of 7).
    assert_eq!(
        cap_clear_at(&events, &rule, &query, now, &ny),
        ny.at(2026, 6, 8, 0, 0)
    );
    assert_eq!(ny.at(2026, 6, 8, 0, 0), 1_780_891_200);
    // An 8th attempt: both 1 and 2 June must age out → start of 9 June.
    events.push(ev(ny.at(2026, 6, 4, 9, 0), Tag::NONE, debt, None));
    events.sort_by_key(Event::instant);
    assert_eq!(
        cap_clear_at(&events, &rule, &query, now, &ny),
        ny.at(2026, 6, 9, 0, 0)
    );
}

#[test]
fn reg_f_seven_calendar_days_after_a_conversation() {
    let ny = Zone::new("America/New_York");
    let debt = Tag::of("debt-77");
    // 23:30 in New York is already 4 June in UTC: the local date (3 June) is day 1.
    let talk = ny.at(2026, 6, 3, 23, 30);
    assert_eq!(talk, 1_780_543_800);
    let events = [ev(talk, Tag::NONE, debt, Some(Outcome::Answered))];
    let rule = CooloffRule {
        after: Outcome::Answered,
        duration: CoolSpan::CalendarDays(7),
        unless_live_agent: false,
        key: CapKey::NumberSubject,
    };
    let query = q(Tag::NONE, debt);
    assert_eq!(
        cooloff_clear_at(&events, &rule, &query, talk + 60, &ny),
        Some(ny.at(2026, 6, 10, 0, 0))
    );
    assert_eq!(ny.at(2026, 6, 10, 0, 0), 1_781_064_000);
    // Another debt of the same person is not under this cool-off.
    let other = q(Tag::NONE, Tag::of("debt-78"));
    assert_eq!(
        cooloff_clear_at(&events, &rule, &other, talk + 60, &ny),
        Some(talk + 60)
    );
    // After it ends, the answer is the query instant.
    let later = ny.at(2026, 6, 11, 9, 0);
    assert_eq!(
        cooloff_clear_at(&events, &rule, &query, later, &ny),
        Some(later)
    );
}

#[test]
fn uk_72_hours_after_abandoned_unless_live_agent() {
    let london = Zone::new("Europe/London");
    let t0 = london.at(2026, 10, 23, 18, 0);
    let events = [
        ev(t0 - 80 * H, Tag::NONE, Tag::NONE, Some(Outcome::Abandoned)),
        ev(t0, Tag::NONE, Tag::NONE, Some(Outcome::Abandoned)),
        ev(t0 + 60, Tag::NONE, Tag::NONE, Some(Outcome::NoAnswer)),
    ];
    let rule = CooloffRule {
        after: Outcome::Abandoned,
        duration: CoolSpan::Elapsed(72 * H),
        unless_live_agent: true,
        key: CapKey::Number,
    };
    let now = t0 + 2 * H;
    // Elapsed time, so the DST change of 25 Oct does not move it: 72 h exactly.
    assert_eq!(
        cooloff_clear_at(&events, &rule, &Query::default(), now, &london),
        Some(t0 + 72 * H)
    );
    let live = Query {
        live_agent: true,
        ..Query::default()
    };
    assert_eq!(
        cooloff_clear_at(&events, &rule, &live, now, &london),
        Some(now)
    );
}

#[test]
fn it_five_days_after_abandoned_and_forever_after_opt_out() {
    let rome = Zone::new("Europe/Rome");
    let t0 = rome.at(2026, 5, 4, 11, 0);
    let c = Tag::of("camp");
    let events = [
        ev(t0, c, Tag::NONE, Some(Outcome::Abandoned)),
        ev(t0 + H, c, Tag::NONE, Some(Outcome::Machine)),
    ];
    let five_days = CooloffRule {
        after: Outcome::Abandoned,
        duration: CoolSpan::Elapsed(5 * D),
        unless_live_agent: false,
        key: CapKey::Number,
    };
    let query = q(c, Tag::NONE);
    assert_eq!(
        cooloff_clear_at(&events, &five_days, &query, t0 + 10, &rome),
        Some(t0 + 5 * D)
    );
    // Not lifted by a live agent unless the rule says so.
    let live = Query {
        live_agent: true,
        ..query
    };
    assert_eq!(
        cooloff_clear_at(&events, &five_days, &live, t0 + 10, &rome),
        Some(t0 + 5 * D)
    );
    let forever = CooloffRule {
        after: Outcome::OptOut,
        duration: CoolSpan::Forever,
        unless_live_agent: false,
        key: CapKey::Number,
    };
    assert_eq!(
        cooloff_clear_at(&events, &forever, &query, t0, &rome),
        Some(t0)
    );
    let mut with_opt_out = events.to_vec();
    with_opt_out.push(ev(t0 - 400 * D, c, Tag::NONE, Some(Outcome::OptOut)));
    assert_eq!(
        cooloff_clear_at(&with_opt_out, &forever, &query, t0, &rome),
        None
    );
    // Keyed by campaign: another campaign is not blocked by this campaign's opt-out.
    let per_campaign = CooloffRule {
        key: CapKey::NumberCampaign,
        ..forever
    };
    assert_eq!(
        cooloff_clear_at(
            &with_opt_out,
            &per_campaign,
            &q(Tag::of("x"), Tag::NONE),
            t0,
            &rome
        ),
        Some(t0)
    );
}

#[test]
fn connected_caps_count_only_calls_a_person_answered() {
    let utc = FixedOffsetDays(0);
    let t0 = 1_780_000_000;
    let c = Tag::of("c");
    let events = [
        ev(t0, c, Tag::NONE, Some(Outcome::Answered)),
        ev(t0 + 10, c, Tag::NONE, Some(Outcome::Machine)),
        ev(t0 + 20, c, Tag::NONE, Some(Outcome::NoAnswer)),
        ev(t0 + 30, c, Tag::NONE, None),
        ev(t0 + 40, c, Tag::NONE, Some(Outcome::Abandoned)),
        ev(t0 + 50, Tag::of("d"), Tag::NONE, Some(Outcome::Refused)),
    ];
    let rule = CapRule {
        max: 2,
        within: Span::Elapsed(D),
        key: CapKey::NumberCampaign,
        count: CountKind::Connected,
    };
    // Campaign c: answered (t0) and abandoned (t0+40) are connected → the older one ages out.
    assert_eq!(
        cap_clear_at(&events, &rule, &q(c, Tag::NONE), t0 + 60, &utc),
        t0 + D
    );
    let connected: Vec<&str> = Outcome::ALL
        .iter()
        .filter(|o| o.is_connected())
        .map(|o| o.name())
        .collect();
    assert_eq!(
        connected,
        [
            "answered",
            "abandoned",
            "refused",
            "opt_out",
            "wrong_number"
        ]
    );
    // max 0 never admits.
    let zero = CapRule { max: 0, ..rule };
    assert_eq!(
        cap_clear_at(&[], &zero, &Query::default(), t0, &utc),
        i64::MAX
    );
}

#[test]
fn outcome_names_round_trip_and_unknown_names_list_the_valid_ones() {
    for o in Outcome::ALL {
        assert_eq!(Outcome::from_name(o.name()).unwrap(), o);
        assert_eq!(Outcome::from_code(o.code()), Some(o));
    }
    let err = Outcome::from_name("silent").unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown outcome \"silent\"; valid outcomes: no_answer, busy, answered, abandoned, \
         machine, refused, opt_out, wrong_number"
    );
}

#[test]
fn instants_outside_2020_2100_are_rejected() {
    let before = Event::new(MIN_INSTANT - 1, Tag::NONE, Tag::NONE, None, false).unwrap_err();
    assert!(matches!(before, HistoryError::InstantOutOfRange { t } if t == MIN_INSTANT - 1));
    // Milliseconds passed as seconds land far in the future.
    let millis = 1_780_000_000_000;
    let e = Event::new(millis, Tag::NONE, Tag::NONE, None, false).unwrap_err();
    assert!(e.to_string().contains("not milliseconds"), "{e}");
    let last = Event::new(MAX_INSTANT - 1, Tag::NONE, Tag::NONE, None, false).unwrap();
    assert_eq!(last.instant(), MAX_INSTANT - 1);
    assert!(Event::new(MAX_INSTANT, Tag::NONE, Tag::NONE, None, false).is_err());
}

#[test]
fn retention_for_rules_keeps_the_longest_span_and_forever_outcomes() {
    let caps = [
        CapRule {
            max: 3,
            within: Span::Elapsed(D),
            key: CapKey::Number,
            count: CountKind::Attempts,
        },
        CapRule {
            max: 7,
            within: Span::CalendarDays(7),
            key: CapKey::NumberSubject,
            count: CountKind::Attempts,
        },
    ];
    let cool = [
        CooloffRule {
            after: Outcome::Refused,
            duration: CoolSpan::Elapsed(60 * D),
            unless_live_agent: false,
            key: CapKey::Number,
        },
        CooloffRule {
            after: Outcome::WrongNumber,
            duration: CoolSpan::Forever,
            unless_live_agent: false,
            key: CapKey::Number,
        },
    ];
    let r = Retention::for_rules(&caps, &cool);
    assert_eq!(r.keep, 60 * D);
    assert_eq!(
        r.forever,
        OutcomeSet::EMPTY
            .with(Outcome::OptOut)
            .with(Outcome::WrongNumber)
    );
}
