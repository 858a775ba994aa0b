//! The registry of rule tables. A table is registered once, in the `rule_tables!` list
//! of `policy/source.rs` (which declares its `PolicySource` field, counts it, and visits
//! it in compile order), and implemented once, by a [`RuleTable`] impl here naming the
//! `Builder` step that compiles one entry.

use super::*;

/// One `[[table]]` of the policy: how an entry is named and compiled.
pub(crate) trait RuleTable {
    /// Whether entries are rules (with an id a later source may override). `[[consent]]`
    /// entries name files, not rules.
    const IS_RULE: bool = true;
    /// The entry's `id`.
    fn id(&self) -> &str;
    /// Compiles one entry into the builder; errors go to `cx`.
    fn compile(&self, b: &mut Builder, cx: &mut Ctx<'_>, line: Option<usize>);
}

/// Something done to every table of a source, in compile order
/// (`PolicySource::visit_tables`).
pub(crate) trait TableVisitor {
    fn visit<T: RuleTable>(&mut self, rows: &[Spanned<T>]);
}

/// `Source type => Builder method` for the tables whose entries are rules.
macro_rules! rule_table {
    ($($ty:ty => $method:ident),* $(,)?) => {$(
        impl RuleTable for $ty {
            fn id(&self) -> &str {
                &self.id
            }
            fn compile(&self, b: &mut Builder, cx: &mut Ctx<'_>, line: Option<usize>) {
                b.$method(cx, line, self);
            }
        }
    )*};
}

rule_table! {
    CalendarSource => calendar,
    ListSource => list,
    WindowSource => window,
    CapSource => cap,
    CooloffSource => cooloff,
    CallerIdSource => caller_id,
    AbandonLimitSource => abandon,
    BlackoutSource => blackout,
    ConsentRequiredSource => consent_required,
}

impl RuleTable for ConsentSource {
    const IS_RULE: bool = false;
    fn id(&self) -> &str {
        &self.id
    }
    fn compile(&self, b: &mut Builder, cx: &mut Ctx<'_>, line: Option<usize>) {
        b.consent(cx, line, self);
    }
}

/// Compiles every entry of a source, skipping rules whose id a later source redefines.
pub(super) struct AddAll<'b, 'c, 'a> {
    pub builder: &'b mut Builder,
    pub cx: &'c mut Ctx<'a>,
    pub skip: Option<&'b HashSet<String>>,
}

impl TableVisitor for AddAll<'_, '_, '_> {
    fn visit<T: RuleTable>(&mut self, rows: &[Spanned<T>]) {
        for r in rows {
            let (line, row) = (self.cx.origin.line_of(r), r.get_ref());
            if T::IS_RULE && self.skip.is_some_and(|s| s.contains(row.id())) {
                continue;
            }
            row.compile(self.builder, self.cx, line);
        }
    }
}

/// Collects the id of every rule (to let a policy override a pack's rules).
#[derive(Default)]
pub(super) struct RuleIds(pub HashSet<String>);

impl TableVisitor for RuleIds {
    fn visit<T: RuleTable>(&mut self, rows: &[Spanned<T>]) {
        if T::IS_RULE {
            self.0
                .extend(rows.iter().map(|r| r.get_ref().id().to_owned()));
        }
    }
}
