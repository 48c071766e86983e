-- Personal data (the contracts' personal columns: contact_phone) is shown unmasked only to regulators.
-- One masking rule for the whole warehouse, used by the trace lookups, the marts and the view below:
-- keep the first three and last four characters, e.g. 13812345678 -> 138****5678; mask short values whole.
create function ops.mask_phone(phone text)
returns text
language sql
immutable
parallel safe
set search_path = pg_catalog, pg_temp
as $$
    select case
        when phone is null then null
        when length(phone) >= 8 then left(phone, 3) || repeat('*', length(phone) - 7) || right(phone, 4)
        else repeat('*', length(phone))
    end
$$;
comment on function ops.mask_phone(text) is
    'The masking of personal contact data outside the regulator role: first 3 and last 4 characters kept.';
grant execute on function ops.mask_phone(text) to agritrace_analyst, agritrace_regulator, agritrace_operator;

-- Operators triage quarantined rows but may not read personal data: they get this view instead of the table.
revoke select on quarantine.rows from agritrace_operator;
alter default privileges in schema quarantine revoke select on tables from agritrace_operator;

create view quarantine.rows_masked as
select
    q.quarantine_id,
    q.feed,
    q.file_id,
    q.row_number,
    case when q.raw ? 'contact_phone'
         then jsonb_set(q.raw, '{contact_phone}', coalesce(to_jsonb(ops.mask_phone(q.raw ->> 'contact_phone')), 'null'))
         else q.raw
    end as raw,
    (
        select coalesce(jsonb_agg(
            case when reason ->> 'column' = 'contact_phone'
                 then jsonb_set(reason, '{value}', coalesce(to_jsonb(ops.mask_phone(reason ->> 'value')), 'null'))
                 else reason
            end order by position), '[]'::jsonb)
        from jsonb_array_elements(q.reasons) with ordinality as r(reason, position)
    ) as reasons,
    q.is_orphan,
    q.status,
    q.created_at,
    q.resolved_at,
    q.resolved_by
from quarantine.rows as q;
comment on view quarantine.rows_masked is
    'quarantine.rows with contact_phone masked in the raw values and in the reasons: what operators may read.';
grant select on quarantine.rows_masked to agritrace_operator;
