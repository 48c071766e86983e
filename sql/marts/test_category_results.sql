-- mart.test_category_results: test items per test category (pesticide residues, veterinary drug
-- residues, microbiology, labelling …), per jurisdiction and sampling year.
--
-- Grain: one row per sampling year × jurisdiction × test category. An item belongs to the category
-- it names (a verdict-only row whose test item is a category, e.g. 农药残留 / 標示) or to the
-- category of its analyte's kind (毒死蜱 → pesticide residues); items of an analyte whose kind no
-- category claims are 'uncategorised'. Items are counted, not batches; an item belongs to the year
-- its batch was sampled in. Supplied verdicts (no value reported) count like computed ones; items
-- not judged because no limits of their jurisdiction are loaded are counted apart and left out of
-- the pass rate.
-- A view over core, not over a daily summary: the summaries carry neither the jurisdiction nor
-- the verdict basis, and a category mart is read rarely, so it is computed when read.
create view mart.test_category_results as

with

source_results as (

    select * from core.inspection_results

),

source_batches as (

    select * from core.sampling_batches

),

items as (

    select
        -- keys
        r.jurisdiction,
        coalesce(named.code, by_kind.code, 'uncategorised') as test_category,
        coalesce(named.name_zh, by_kind.name_zh, '未分类') as test_category_name,
        -- dates
        extract(year from b.sampling_date)::int as year,
        -- judgement
        r.verdict,
        r.verdict_basis

    from source_results as r
    inner join source_batches as b using (batch_no)
    left join ref.test_categories as named on named.code = r.analyte_code
    left join ref.analytes as analyte on analyte.code = r.analyte_code
    left join ref.test_categories as by_kind on by_kind.analyte_kind = analyte.kind

),

aggregated as (

    select
        year,
        jurisdiction,
        test_category,
        min(test_category_name) as test_category_name,
        count(*) as items,
        count(*) filter (where verdict in ('pass', 'negative')) as passed,
        count(*) filter (where verdict = 'fail') as failed,
        count(*) filter (where verdict = 'positive_unconfirmed') as unconfirmed_positives,
        count(*) filter (where verdict = 'inconclusive' and verdict_basis <> 'not_judged') as inconclusive,
        count(*) filter (where verdict_basis = 'not_judged') as not_judged,
        count(*) filter (where verdict_basis = 'supplied') as supplied_verdicts

    from items
    group by year, jurisdiction, test_category

),

final as (

    select
        -- keys
        year,
        jurisdiction,
        test_category,
        test_category_name,
        -- measures
        items,
        passed,
        failed,
        unconfirmed_positives,
        inconclusive,
        not_judged,
        supplied_verdicts,
        round(100.0 * passed / nullif(passed + failed, 0), 2) as pass_rate_pct

    from aggregated

)

select * from final;

comment on view mart.test_category_results is
    'Test items per test category (pesticide residues, veterinary drug residues, microbiology, labelling, hygiene practice …) per jurisdiction and sampling year, with supplied verdicts and items not judged for want of their jurisdiction''s limits. Rows do not overlap: they may be summed.';
comment on column mart.test_category_results.year is
    'Calendar year of the batch''s sampling date.';
comment on column mart.test_category_results.jurisdiction is
    'Jurisdiction whose limits the items are judged by (CN: mainland China).';
comment on column mart.test_category_results.test_category is
    'Test category code (ref.test_categories): the category a verdict-only row names, else that of the analyte''s kind; ''uncategorised'' when none applies.';
comment on column mart.test_category_results.test_category_name is
    'Chinese name of the category, e.g. 农药残留.';
comment on column mart.test_category_results.items is
    'Test items in the category.';
comment on column mart.test_category_results.passed is
    'Items that passed (pass, or negative for a rapid test), computed or supplied.';
comment on column mart.test_category_results.failed is
    'Items that failed, computed or supplied.';
comment on column mart.test_category_results.unconfirmed_positives is
    'Rapid-test positives without a confirmatory lab result.';
comment on column mart.test_category_results.inconclusive is
    'Items reported only as a bound above their limit: neither a pass nor a fail.';
comment on column mart.test_category_results.not_judged is
    'Items with a value and no supplied verdict whose jurisdiction has no limits loaded: never judged with another jurisdiction''s limits (verdict_reason: not judged: no limits loaded for X).';
comment on column mart.test_category_results.supplied_verdicts is
    'Items whose verdict of record is the supplied one (no value reported, or no limits of their jurisdiction loaded).';
comment on column mart.test_category_results.pass_rate_pct is
    'passed / (passed + failed) × 100, 2 decimals; null when no item passed or failed.';
