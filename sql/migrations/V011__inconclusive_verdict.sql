-- A result reported only as a bound above its limit ("<0.5" against an MRL of 0.2 mg/kg, "<0.05"
-- against a banned substance's reported LOD of 0.01, "<60%" against the rapid test's 50 %) may be on
-- either side of the limit: the item is 'inconclusive', neither a pass nor a fail. A batch with an
-- inconclusive item and no failing one is 'inconclusive' too, not passed. The pass-rate marts
-- count only pass and fail as judged, so inconclusive batches stay out of every pass rate.

alter table core.inspection_results drop constraint inspection_results_verdict_check;
alter table core.inspection_results add constraint inspection_results_verdict_check
    check (verdict in ('pass', 'fail', 'positive_unconfirmed', 'negative', 'inconclusive'));

alter table core.sampling_batches drop constraint sampling_batches_batch_verdict_check;
alter table core.sampling_batches add constraint sampling_batches_batch_verdict_check
    check (batch_verdict in ('pass', 'fail', 'positive_unconfirmed', 'inconclusive'));

comment on column core.inspection_results.verdict is
    'pass | fail | positive_unconfirmed (rapid test ≥ 50 %) | negative (rapid test < 50 %) | inconclusive '
    '(reported only as a bound above the limit: neither a pass nor a fail, not judged). verdict_reason says why.';
comment on column core.sampling_batches.batch_verdict is
    'Over all test items: fail if any item fails; else positive_unconfirmed if a rapid positive has no conclusive '
    'lab result; else inconclusive if any item is inconclusive; else pass. Null until results arrive.';
