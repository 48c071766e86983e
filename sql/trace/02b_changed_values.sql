-- trace.changed_values: what an earlier version of a core row held that the current one does not.
--
--   select trace.changed_values(to_jsonb(h), to_jsonb(c), false)
--     from core.certificates_history h join core.certificates c using (certificate_no);
--   → {"quantity": {"was": 100, "now": 200}}
--
-- Lineage columns (which file, when) are not values and are left out; the contract's personal
-- column is masked unless personal data may be shown. Internal: used by trace.chain.
create function trace.changed_values(earlier jsonb, current jsonb, include_personal boolean)
returns jsonb
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(jsonb_object_agg(
               e.key,
               case when e.key = 'contact_phone' and not include_personal
                    then jsonb_build_object('was', ops.mask_phone(e.value ->> 0),
                                            'now', ops.mask_phone(current ->> e.key))
                    else jsonb_build_object('was', e.value, 'now', current -> e.key) end
           ), '{}'::jsonb)
    from jsonb_each(earlier) as e
    where e.key not in ('file_id', 'loaded_at', 'history_id', 'superseded_by_file', 'superseded_at',
                        'batch_verdict')
      and e.value is distinct from current -> e.key
$$;
