-- Verdict-only test items. A row with a supplied verdict and no value keeps the supplied verdict as
-- its verdict of record and counts in pass rates; with a value the computed verdict stands and a
-- disagreeing supplied verdict is flagged (verdict_disagrees). verdict_basis says which: 'computed'
-- (judged here against the limit) or 'supplied' (the row's own verdict, no value to judge). Every row
-- loaded before this migration was judged here, so existing rows are 'computed'.

alter table core.inspection_results
    add column verdict_basis text not null default 'computed'
        constraint inspection_results_verdict_basis_check check (verdict_basis in ('computed', 'supplied'));

-- The history table was created `like` core.inspection_results (V009): it gets the same column.
alter table core.inspection_results_history
    add column verdict_basis text not null default 'computed'
        constraint inspection_results_history_verdict_basis_check check (verdict_basis in ('computed', 'supplied'));

comment on column core.inspection_results.verdict_basis is
    'computed: the verdict was judged against the limit from the value | supplied: no value was reported, so the '
    'verdict supplied on the row is the verdict of record (it counts in pass rates; verdict_reason says so).';
comment on column core.inspection_results_history.verdict_basis is
    'As core.inspection_results.verdict_basis, for the version set aside.';
