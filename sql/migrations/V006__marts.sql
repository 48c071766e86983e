-- Analyst marts: only what is created once lives here.
--
-- The marts themselves are materialized views defined one per file in sql/marts/. They are
-- created (and re-created when their file changes) by agritrace.marts.refresh.create_marts and
-- refreshed by refresh_marts, so editing a mart never needs a new migration. This file holds the
-- ledger that tells create_marts which definition each mart was built from, and the Wilson
-- interval functions the marts share.

-- ops.mart_builds: one row per mart: the definition it was built from and its last refresh.
create table ops.mart_builds (
    -- keys
    mart_name        text primary key,
    -- definition: SHA-256 of sql/marts/<mart_name>.sql when the mart was created
    checksum         text not null,
    created_at       timestamptz not null default now(),
    -- last refresh
    refreshed_at     timestamptz,
    refresh_seconds  numeric(10, 3),
    row_count        bigint
);
comment on table ops.mart_builds is
    'Which definition (file checksum) each mart in schema mart was built from, and its last refresh. A mart whose file changed is dropped and re-created by create_marts.';

-- 95% Wilson score interval for a proportion, in percent with 2 decimals. Chosen over the normal
-- approximation because pass rates sit near 100% and small groups are common: the Wilson interval
-- stays inside 0..100 and does not collapse to zero width when every batch passed.
create function mart.wilson_low_pct(successes bigint, trials bigint, z numeric default 1.96)
returns numeric
language sql
immutable
parallel safe
as $$
    select case when trials > 0 then round(100 * greatest(0, (
        (successes::numeric / trials + z * z / (2 * trials))
        - z * sqrt((successes::numeric / trials) * (1 - successes::numeric / trials) / trials
                   + z * z / (4 * trials::numeric * trials))
    ) / (1 + z * z / trials)), 2) end
$$;
comment on function mart.wilson_low_pct(bigint, bigint, numeric) is
    'Lower bound of the Wilson score interval of successes/trials in percent, 2 decimals (z = 1.96 gives 95%). Null when trials = 0.';

create function mart.wilson_high_pct(successes bigint, trials bigint, z numeric default 1.96)
returns numeric
language sql
immutable
parallel safe
as $$
    select case when trials > 0 then round(100 * least(1, (
        (successes::numeric / trials + z * z / (2 * trials))
        + z * sqrt((successes::numeric / trials) * (1 - successes::numeric / trials) / trials
                   + z * z / (4 * trials::numeric * trials))
    ) / (1 + z * z / trials)), 2) end
$$;
comment on function mart.wilson_high_pct(bigint, bigint, numeric) is
    'Upper bound of the Wilson score interval of successes/trials in percent, 2 decimals (z = 1.96 gives 95%). Null when trials = 0.';
