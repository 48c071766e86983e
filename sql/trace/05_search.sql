-- trace.search: producers and products whose name contains the query (partial, any script).
--
--   select trace.search('豇豆');
--
-- ILIKE with the query's own % _ and \ escaped, so they match themselves and a query can never
-- widen into "everything". Producers are few (thousands), so their names are scanned; product
-- names are collected with a skip scan over the (product_name, date) indexes, one probe per
-- distinct name, which stays fast however many certificates there are. Audited like a lookup.
create function trace.search(
    query text,
    requested_by text default null,
    interface text default 'sql',
    max_results integer default 50
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    started    timestamptz := clock_timestamp();
    clean      text := btrim(search.query);
    pattern    text;
    producers  jsonb;
    products   jsonb;
    records    integer;
begin
    if clean is null or clean = '' or length(clean) > 64 or clean ~ '[[:cntrl:]]' then
        raise exception 'search text must be 1 to 64 characters without control characters'
            using errcode = '22023';
    end if;
    if search.interface is null or search.interface not in ('cli', 'api', 'sql') then
        raise exception 'interface must be cli, api or sql (% given)', search.interface
            using errcode = '22023';
    end if;
    pattern := '%' || replace(replace(replace(clean, '\', '\\'), '%', '\%'), '_', '\_') || '%';

    with matching_producers as (
        select
            p.producer_id, p.producer_name, p.producer_type, p.region_code, p.town, p.village, p.grid_id,
            p.producer_name ilike substr(pattern, 2) escape '\' as starts_with_query
        from core.producers as p
        where p.producer_name ilike pattern escape '\'
    )
    -- names that start with the query first, then the shortest (closest) names
    select coalesce(jsonb_agg(to_jsonb(m) order by m.starts_with_query desc, length(m.producer_name), m.producer_name),
                    '[]'::jsonb)
      into producers
      from (select * from matching_producers
            order by starts_with_query desc, length(producer_name), producer_name
            limit search.max_results) as m;

    with recursive certificate_products as (
        (select c.product_name from core.certificates as c order by c.product_name limit 1)
        union all
        select (select c.product_name from core.certificates as c
                where c.product_name > cp.product_name order by c.product_name limit 1)
        from certificate_products as cp
        where cp.product_name is not null
    ),
    batch_products as (
        (select b.product_name from core.sampling_batches as b order by b.product_name limit 1)
        union all
        select (select b.product_name from core.sampling_batches as b
                where b.product_name > bp.product_name order by b.product_name limit 1)
        from batch_products as bp
        where bp.product_name is not null
    ),
    matching_products as (
        select product_name, bool_or(on_certificates) as on_certificates, bool_or(in_samples) as in_samples
        from (
            select product_name, true as on_certificates, false as in_samples from certificate_products
            union all
            select product_name, false, true from batch_products
        ) as names
        where product_name ilike pattern escape '\'
        group by product_name
        order by length(product_name), product_name
        limit search.max_results
    )
    select coalesce(jsonb_agg(to_jsonb(m) order by length(m.product_name), m.product_name), '[]'::jsonb)
      into products
      from matching_products as m;

    records := jsonb_array_length(producers) + jsonb_array_length(products);

    insert into ops.trace_audit (
        requested_by, db_user, db_role, interface, action, lookup_key, key_type,
        personal_shown, found, records_returned, duration_ms
    )
    values (
        search.requested_by,
        session_user,
        case when current_setting('role') = 'none' then session_user else current_setting('role') end,
        search.interface,
        'search',
        search.query,
        'name',
        false,
        records > 0,
        records,
        extract(epoch from clock_timestamp() - started) * 1000
    );

    return jsonb_build_object(
        'query', clean,
        'found', records > 0,
        'producers', producers,
        'products', products
    );
end
$$;
