-- trace.lookup: the one entry point for a trace lookup, whichever interface asks (CLI, API, SQL).
--
--   select trace.lookup('HGZ-440902-000123');
--   select trace.lookup('B-2024-0001', from_date => '2024-01-01', to_date => '2024-12-31',
--                       recall_days => 14, requested_by => 'li.wei', interface => 'api',
--                       include_personal => false);
--
-- The key type is detected (trace.key_matches, in its documented priority) unless key_type names
-- one; every matching type is listed in matched_types and ambiguous is true when there is more
-- than one. Returns {"found": false, …} when nothing matches. Every call, found or not, writes one
-- row to ops.trace_audit.
--
-- SECURITY DEFINER: regulators may execute it without reading core themselves, so what they see is
-- exactly what this function returns and every look is audited. search_path is fixed so no
-- caller-controlled schema can shadow a table or function. The key is only ever compared as a
-- value. Contact phones are returned unmasked only when include_personal is true (the default for
-- a regulator calling from SQL); applications pass false for callers who are not regulators.
create function trace.lookup(
    key text,
    from_date date default null,
    to_date date default null,
    recall_days integer default 7,
    requested_by text default null,
    interface text default 'sql',
    include_personal boolean default true,
    key_type text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    started      timestamptz := clock_timestamp();
    clean_key    text := btrim(lookup.key);
    matches      jsonb;
    chosen_type  text;
    chain        jsonb;
    records      integer := 0;
begin
    -- guard: direct SQL callers get the same refusals the applications give before calling
    if clean_key is null or clean_key = '' then
        raise exception 'trace key is empty' using errcode = '22023',
            hint = 'Give a certificate, batch, producer, report, trace code or lot number.';
    end if;
    if length(clean_key) > 64 then
        raise exception 'trace key is longer than 64 characters (% given)', length(clean_key)
            using errcode = '22023', hint = 'Keys are at most 64 characters; check what was pasted.';
    end if;
    if clean_key ~ '[[:cntrl:]]' then
        raise exception 'trace key contains a control character' using errcode = '22023',
            hint = 'Remove tabs, line breaks and other invisible characters from the key.';
    end if;
    if lookup.recall_days is null or lookup.recall_days not between 0 and 90 then
        raise exception 'recall_days must be between 0 and 90 (% given)', lookup.recall_days
            using errcode = '22023';
    end if;
    if lookup.from_date > lookup.to_date then
        raise exception 'from_date % is after to_date %', lookup.from_date, lookup.to_date
            using errcode = '22023', hint = 'Swap the dates.';
    end if;
    if lookup.interface is null or lookup.interface not in ('cli', 'api', 'sql') then
        raise exception 'interface must be cli, api or sql (% given)', lookup.interface
            using errcode = '22023';
    end if;
    if lookup.key_type is not null and lookup.key_type not in
        ('certificate_no', 'batch_no', 'producer_id', 'report_no', 'trace_code', 'lot_no') then
        raise exception 'unknown key_type %', lookup.key_type using errcode = '22023',
            hint = 'Use certificate_no, batch_no, producer_id, report_no, trace_code or lot_no, or leave it out.';
    end if;

    -- Certificate, batch and producer codes are stored upper-case (their contracts declare them
    -- case-insensitive), so `hgz-…` typed by hand is the same key as `HGZ-…`.
    if clean_key <> upper(clean_key)
       and not exists (select from trace.key_matches(clean_key))
       and exists (select from trace.key_matches(upper(clean_key))) then
        clean_key := upper(clean_key);
    end if;

    -- detect: every place the key occurs, best first
    select coalesce(jsonb_agg(jsonb_build_object('key_type', m.key_type, 'records', m.records)
                              order by m.priority), '[]'::jsonb),
           coalesce(
               (array_agg(m.key_type order by m.priority)
                    filter (where m.key_type = lookup.key_type))[1],
               case when lookup.key_type is null
                    then (array_agg(m.key_type order by m.priority))[1] end
           )
      into matches, chosen_type
      from trace.key_matches(clean_key) as m;

    if chosen_type is not null then
        chain := trace.chain(clean_key, chosen_type, lookup.from_date, lookup.to_date,
                             lookup.recall_days, lookup.include_personal);
        records := (chain #>> '{summary,producers}')::int
                 + (chain #>> '{summary,certificates}')::int
                 + (chain #>> '{summary,batches}')::int
                 + (chain #>> '{summary,test_items}')::int
                 + (chain #>> '{summary,recall_certificates}')::int
                 + (chain #>> '{summary,other_producer_failures}')::int;
    end if;

    insert into ops.trace_audit (
        requested_by, db_user, db_role, interface, action, lookup_key, key_type, matched_types,
        from_date, to_date, recall_days, personal_shown, found, records_returned, duration_ms
    )
    values (
        lookup.requested_by,
        session_user,
        -- current_user here is this function's owner; the caller's SET ROLE survives in the setting
        case when current_setting('role') = 'none' then session_user else current_setting('role') end,
        lookup.interface,
        'lookup',
        lookup.key,
        chosen_type,
        coalesce((select array_agg(e ->> 'key_type') from jsonb_array_elements(matches) as e), '{}'),
        lookup.from_date,
        lookup.to_date,
        lookup.recall_days,
        chosen_type is not null and lookup.include_personal,
        chosen_type is not null,
        records,
        extract(epoch from clock_timestamp() - started) * 1000
    );

    return jsonb_build_object(
        'found', chosen_type is not null,
        'key', clean_key,
        'key_type', chosen_type,
        'matched_types', matches,
        'ambiguous', jsonb_array_length(matches) > 1,
        'records_returned', records
    ) || coalesce(chain, '{}'::jsonb);
end
$$;
