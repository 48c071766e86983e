-- A file is the same delivery as an earlier one when it carries the same rows, not only the same
-- bytes: an export re-written by a spreadsheet program (new bytes, same cells) is recognised by the
-- fingerprint of its rows, recorded as `duplicate` of the file that first delivered them, and loads
-- nothing twice (no quarantine rows, no validation runs, no versions).
alter table ops.files add column content_sha256 text;
alter table ops.files add column duplicate_of bigint references ops.files;
create index files_content_idx on ops.files (feed, content_sha256) where content_sha256 is not null;

alter table ops.files drop constraint files_status_check;
alter table ops.files add constraint files_status_check
    check (status in ('processing', 'loaded', 'held', 'rejected', 'duplicate'));

comment on column ops.files.content_sha256 is
    'SHA-256 over the rows as read (canonical columns, in order): equal for a re-written file with the same cells.';
comment on column ops.files.duplicate_of is
    'For status duplicate: the file that first delivered the same rows.';

grant select (content_sha256, duplicate_of) on ops.files to agritrace_operator;
