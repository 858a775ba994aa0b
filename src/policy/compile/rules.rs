//! One compile step per rule table: calendars, windows, caps, cool-offs, caller IDs,
//! abandon limits, blackouts and consent requirements.

use super::*;

impl Builder {
    pub(super) fn consent_required(
        &mut self,
        cx: &mut Ctx<'_>,
        line: Option<usize>,
        c: &ConsentRequiredSource,
    ) {
        let (label, rule, scope) =
            begin!(cx, line, "consent_required", RuleKind::ConsentRequired, c);
        let kinds = consent_kinds(cx, line, &label, &c.kinds);
        self.consent_required.push(ConsentRequiredRule {
            rule,
            scope,
            kinds,
            unless_listed: None,
        });
        if let Some(id) = &c.unless_listed {
            let at = self.consent_required.len() - 1;
            self.unless_listed.push((at, id.clone(), line, label));
        }
    }

    pub(super) fn calendar(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CalendarSource) {
        let label = format!("[[calendar]] \"{}\"", c.id);
        cx.add_rule(
            line,
            "calendar",
            &c.id,
            RuleKind::Calendar,
            c.source.as_ref(),
            None,
        );
        let mut spec = HolidaySpec::default();
        for f in &c.fixed {
            match MonthDay::parse(f) {
                Ok(md) => spec.fixed.push(md),
                Err(e) => cx.err(
                    line,
                    &label,
                    "fixed",
                    format!("bad date \"{f}\": {e}"),
                    "write MM-DD, e.g. \"12-25\"",
                ),
            }
        }
        spec.easter = c.easter.clone();
        for n in &c.nth_weekday {
            match Weekday::from_name(&n.weekday).ok() {
                Some(wd)
                    if (1..=12).contains(&n.month) && (n.n == -1 || (1..=5).contains(&n.n)) =>
                {
                    spec.nth_weekday.push(NthWeekday {
                        month: n.month,
                        weekday: wd,
                        n: n.n,
                    })
                }
                Some(_) => cx.err(
                    line,
                    &label,
                    "nth_weekday",
                    format!("month {} / n {} out of range", n.month, n.n),
                    "month 1-12, n 1-5 or -1 for the last",
                ),
                None => cx.err(
                    line,
                    &label,
                    "nth_weekday",
                    format!("unknown weekday \"{}\"", n.weekday),
                    "mon tue wed thu fri sat sun",
                ),
            }
        }
        for (key, from, to) in [
            ("dated", &c.dated, &mut spec.dated),
            ("removed", &c.removed, &mut spec.removed),
        ] {
            for d in from {
                match MonthDay::parse(&d.date) {
                    Ok(md) => to.push(DatedHoliday {
                        date: md,
                        from: d.from,
                        until: d.until,
                    }),
                    Err(e) => cx.err(
                        line,
                        &label,
                        key,
                        format!("bad date \"{}\": {e}", d.date),
                        "write MM-DD, e.g. \"10-04\"",
                    ),
                }
            }
        }
        for d in &c.dates {
            match Date::parse(d) {
                Ok(date) => spec.dates.push(date),
                Err(e) => cx.err(
                    line,
                    &label,
                    "dates",
                    format!("bad date \"{d}\": {e}"),
                    "write YYYY-MM-DD",
                ),
            }
        }
        spec.observed = match c.observed.as_deref().map(Observed::from_name) {
            None => Observed::None,
            Some(Ok(o)) => o,
            Some(Err(_)) => {
                let o = c.observed.as_deref().unwrap_or_default();
                cx.err(
                    line,
                    &label,
                    "observed",
                    format!("unknown observed rule \"{o}\""),
                    "use \"none\", \"sat_to_fri_sun_to_mon\" or \"sun_to_mon\"",
                );
                Observed::None
            }
        };
        match HolidayCalendar::build(&spec, FIRST_YEAR, LAST_YEAR) {
            Ok(cal) => self.calendars.push((c.id.clone(), cal)),
            Err(e) => cx.err(line, &label, "", e.to_string(), ""),
        }
    }

    pub(super) fn window(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, w: &WindowSource) {
        let (label, rule, scope) = begin!(cx, line, "window", RuleKind::Window, w);
        let mut days: [Option<(Vec<Span2>, &str)>; 7] = Default::default();
        let groups: [DayGroup<'_>; 11] = [
            ("mon-sun", &w.mon_sun, &[0, 1, 2, 3, 4, 5, 6]),
            ("mon-sat", &w.mon_sat, &[0, 1, 2, 3, 4, 5]),
            ("mon-fri", &w.mon_fri, &[0, 1, 2, 3, 4]),
            ("sat-sun", &w.sat_sun, &[5, 6]),
            ("mon", &w.mon, &[0]),
            ("tue", &w.tue, &[1]),
            ("wed", &w.wed, &[2]),
            ("thu", &w.thu, &[3]),
            ("fri", &w.fri, &[4]),
            ("sat", &w.sat, &[5]),
            ("sun", &w.sun, &[6]),
        ];
        for (key, spans, idx) in groups {
            let Some(spans) = spans else { continue };
            let parsed = spans_of(cx, line, &label, key, spans);
            for &i in idx {
                if let Some((_, prev)) = &days[i] {
                    cx.err(
                        line,
                        &label,
                        key,
                        format!("{} is already given by `{prev}`", WEEKDAYS[i]),
                        "give each day once",
                    );
                } else {
                    days[i] = Some((parsed.clone(), key));
                }
            }
        }
        let days = days.map(|d| d.map(|(v, _)| v).unwrap_or_default());
        let holiday = w
            .holiday
            .as_ref()
            .map(|s| spans_of(cx, line, &label, "holiday", s));
        let pre_holiday = w
            .pre_holiday
            .as_ref()
            .map(|s| spans_of(cx, line, &label, "pre_holiday", s));
        let mut waived_by = 0u8;
        for wb in &w.waived_by {
            let hint = "valid: consent | outside_hours";
            match word(cx, (line, &label, "waived_by"), "waiver", wb, hint) {
                Some(ConsentKindName::Consent) => waived_by |= kind_bit(ConsentKind::Consent),
                Some(ConsentKindName::OutsideHours) => {
                    waived_by |= kind_bit(ConsentKind::OutsideHours)
                }
                Some(k) => cx.err(
                    line,
                    &label,
                    "waived_by",
                    format!("unknown waiver \"{}\"", k.name()),
                    hint,
                ),
                None => {}
            }
        }
        let windows = match WeeklyWindows::new(days, holiday, pre_holiday) {
            Ok(w) => w,
            Err(e) => {
                cx.err(
                    line,
                    &label,
                    "",
                    e.to_string(),
                    "windows are half-open HH:MM-HH:MM within 00:00-24:00, not overlapping",
                );
                return;
            }
        };
        if (w.holiday.is_some() || w.pre_holiday.is_some()) && w.calendar.is_none() {
            cx.err(
                line,
                &label,
                "calendar",
                "holiday / pre_holiday windows need a calendar",
                "name a [[calendar]] id in `calendar`",
            );
        }
        let cal = w.calendar.clone().map(|id| CalendarRef { id, line, label });
        self.windows.push((
            WindowRule {
                rule,
                scope,
                windows,
                calendar: None,
                waived_by,
            },
            cal,
        ));
    }

    pub(super) fn resolve_calendars(&mut self, cx: &mut Ctx<'_>) {
        for (w, cal) in &mut self.windows {
            if let Some(CalendarRef { id, line, label }) = cal.take() {
                match self.calendars.iter().position(|(cid, _)| *cid == id) {
                    Some(i) => w.calendar = Some(i),
                    None => {
                        let hint =
                            match did_you_mean(&id, self.calendars.iter().map(|(c, _)| c.as_str()))
                            {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => "define it in a [[calendar]] table".to_owned(),
                            };
                        cx.err(
                            line,
                            &label,
                            "calendar",
                            format!("no calendar \"{id}\""),
                            hint,
                        );
                    }
                }
            }
        }
    }

    pub(super) fn cap(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CapSource) {
        let (label, rule, scope) = begin!(cx, line, "cap", RuleKind::Cap, c);
        let keys = SpanKeys {
            key: "within",
            days_key: "within_calendar_days",
            missing: "missing span",
            missing_hint: "add within = \"24h\" (rolling) or within_calendar_days = 30",
            bad_hint: "write e.g. \"24h\", \"7d\", \"30d\"",
            forever: false,
        };
        let within = match span_spec(
            cx,
            line,
            &label,
            &keys,
            c.within.as_deref(),
            c.within_calendar_days,
        ) {
            Some(SpanSpec::Elapsed(s)) => Span::Elapsed(s),
            Some(SpanSpec::Days(d)) => Span::CalendarDays(d),
            // `forever: false` never yields Forever; an error was reported for None.
            Some(SpanSpec::Forever) | None => return,
        };
        if c.max == 0 {
            cx.err(
                line,
                &label,
                "max",
                "max = 0 would forbid every call",
                "to forbid calls use a list or a blackout",
            );
        }
        let key = cap_key(cx, line, &label, c.key.as_ref());
        let count = match &c.count {
            None => Some(CountKind::Attempts),
            Some(w) => word(
                cx,
                (line, &label, "count"),
                "count",
                w,
                "use attempts | connected",
            )
            .map(|w| match w {
                CountName::Attempts => CountKind::Attempts,
                CountName::Connected => CountKind::Connected,
            }),
        }
        .unwrap_or(CountKind::Attempts);
        self.caps.push(CapRuleC {
            rule,
            scope,
            cap: CapRule {
                max: c.max,
                within,
                key,
                count,
            },
        });
    }

    pub(super) fn cooloff(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CooloffSource) {
        let (label, rule, scope) = begin!(cx, line, "cooloff", RuleKind::Cooloff, c);
        let Ok(after) = Outcome::from_name(&c.after) else {
            let valid = "no_answer | busy | answered | abandoned | machine | refused | opt_out | wrong_number";
            let names = Outcome::ALL.map(Outcome::name);
            let hint = match did_you_mean(&c.after, names) {
                Some(best) => format!("did you mean \"{best}\"? {valid}"),
                None => valid.to_owned(),
            };
            cx.err(
                line,
                &label,
                "after",
                format!("unknown outcome \"{}\"", c.after),
                hint,
            );
            return;
        };
        let keys = SpanKeys {
            key: "for",
            days_key: "for_calendar_days",
            missing: "missing duration",
            missing_hint: "add for = \"5d\" (elapsed), for_calendar_days = 7, or for = \"forever\"",
            bad_hint: "write e.g. \"72h\", \"5d\" or \"forever\"",
            forever: true,
        };
        let duration = match span_spec(
            cx,
            line,
            &label,
            &keys,
            c.for_.as_deref(),
            c.for_calendar_days,
        ) {
            Some(SpanSpec::Elapsed(s)) => CoolSpan::Elapsed(s),
            Some(SpanSpec::Days(d)) => CoolSpan::CalendarDays(d),
            Some(SpanSpec::Forever) => CoolSpan::Forever,
            None => return,
        };
        let unless_live_agent = c.unless.as_ref().is_some_and(|w| {
            word(
                cx,
                (line, &label, "unless"),
                "condition",
                w,
                "valid: live_agent",
            ) == Some(Requirement::LiveAgent)
        });
        let then_live_agent = c.then.as_ref().is_some_and(|w| {
            word(
                cx,
                (line, &label, "then"),
                "requirement",
                w,
                "valid: live_agent",
            ) == Some(Requirement::LiveAgent)
        });
        if unless_live_agent && then_live_agent {
            cx.err(
                line,
                &label,
                "then",
                "give `unless` or `then`, not both",
                "unless = \"live_agent\" lifts the cool-off at once (UK); then = \"live_agent\" \
                 keeps it and requires an agent afterwards (IT)",
            );
        }
        let key = cap_key(cx, line, &label, c.key.as_ref());
        self.cooloffs.push(CooloffRuleC {
            rule,
            scope,
            cooloff: CooloffRule {
                after,
                duration,
                unless_live_agent,
                key,
            },
            then_live_agent,
        });
    }

    pub(super) fn caller_id(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, c: &CallerIdSource) {
        let (label, rule, scope) = begin!(cx, line, "caller_id", RuleKind::CallerId, c);
        let mut prefixes = Vec::new();
        for p in &c.allow_prefixes {
            match lists::parse_prefix(p) {
                Ok(x) => prefixes.push(x),
                Err(e) => cx.err(
                    line,
                    &label,
                    "allow_prefixes",
                    e.to_string(),
                    "write an E.164 prefix such as \"+39844\"",
                ),
            }
        }
        let allow = match &c.allow_list {
            None => NumberSet::from_numbers(Vec::new()),
            Some(p) => match cx.load_list(p).1 {
                Ok(l) => l.set,
                Err(e) => {
                    cx.err(line, &label, "allow_list", e.to_string(), "");
                    NumberSet::from_numbers(Vec::new())
                }
            },
        };
        if prefixes.is_empty() && c.allow_list.is_none() {
            cx.err(
                line,
                &label,
                "allow_prefixes",
                "nothing is allowed",
                "give allow_prefixes and/or allow_list",
            );
        }
        self.caller_ids.push(CallerIdRule {
            rule,
            scope,
            prefixes: PrefixSet::new(&prefixes),
            allow: Arc::new(allow),
        });
    }

    pub(super) fn abandon(
        &mut self,
        cx: &mut Ctx<'_>,
        line: Option<usize>,
        a: &AbandonLimitSource,
    ) {
        let (label, rule, scope) = begin!(cx, line, "abandon_limit", RuleKind::AbandonLimit, a);
        if !(a.max_rate > 0.0 && a.max_rate < 1.0) {
            cx.err(
                line,
                &label,
                "max_rate",
                format!("max_rate = {} is not a rate", a.max_rate),
                "a fraction between 0 and 1, e.g. 0.03 for 3%",
            );
        }
        let within = parse_duration(&a.within).unwrap_or_else(|e| {
            cx.err(
                line,
                &label,
                "within",
                format!("bad duration \"{}\": {e}", a.within),
                "write e.g. \"24h\" or \"30d\"",
            );
            DAY
        });
        let predictive_only = match &a.blocks {
            None => true,
            Some(w) => {
                word(
                    cx,
                    (line, &label, "blocks"),
                    "value",
                    w,
                    "use predictive | all",
                ) != Some(Blocks::All)
            }
        };
        self.abandon_limits.push(AbandonRule {
            rule,
            scope,
            max_rate: a.max_rate,
            within,
            min_answered: a.min_answered.unwrap_or(0),
            predictive_only,
        });
    }

    pub(super) fn blackout(&mut self, cx: &mut Ctx<'_>, line: Option<usize>, b: &BlackoutSource) {
        let (label, rule, scope) = begin!(cx, line, "blackout", RuleKind::Blackout, b);
        let hint = "an RFC 3339 instant such as \"2026-08-28T00:00:00-05:00\"";
        let from = parse_instant(&b.from).unwrap_or_else(|e| {
            cx.err(
                line,
                &label,
                "from",
                format!("bad instant \"{}\": {e}", b.from),
                hint,
            );
            0
        });
        let until = b.until.as_deref().and_then(|u| match parse_instant(u) {
            Ok(t) => Some(t),
            Err(e) => {
                cx.err(
                    line,
                    &label,
                    "until",
                    format!("bad instant \"{u}\": {e}"),
                    hint,
                );
                None
            }
        });
        if until.is_some_and(|u| u <= from) {
            cx.err(
                line,
                &label,
                "until",
                "until is not after from",
                "swap the instants",
            );
        }
        self.blackouts.push(BlackoutRule {
            rule,
            scope,
            from,
            until,
            suspend_exemptions: b.suspend_exemptions,
        });
    }
}
