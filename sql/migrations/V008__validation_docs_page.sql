-- Each validation run's GX Data Docs page, relative to the Data Docs root, so the data-quality page
-- links a file to its own pages even when several files of a feed are validated at the same time.
alter table dq.validation_runs add column docs_page text;
comment on column dq.validation_runs.docs_page is
    'The GX Data Docs page of this run, relative to <AGRITRACE_HOME>/gx_docs (served at /agritrace/docs/gx/).';
