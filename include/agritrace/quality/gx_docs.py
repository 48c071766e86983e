"""GX Data Docs of a file's validation, built when someone first opens them, readable offline.

Loading a file keeps only its validation result (JSON, next to where its page will be): rendering a
page is seconds of Jinja, and most pages are never opened. The page is built on its first request,
its CDN assets replaced by the copies in ``gx_assets/`` (served at ``docs/gx/_vendor/``), and its
headings name the contract's columns, not the helper columns the suite reads.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ASSETS = Path(__file__).with_name("gx_assets")
VENDOR_PREFIX = "_vendor/"
RESULT_SUFFIX = ".result.json"

# The CDN files the GX templates load, and their local copies (see gx_assets/LICENSES.md).
_VENDORED = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "js/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "js/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "css/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "js/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "css/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "js/bootstrap-table-filter-control.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/fontawesome.min.css",
}
# The GX logo of the top bar, from GX's own static files that the site builder copies beside the pages.
_GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
_LOCAL_LOGO = "static/images/logo-long-vector.svg"
_ASSET_TAG = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="(https?://[^"]+)"[^>]*>(?:\s*</script>)?')
# Helper columns are a contract column, two underscores and what they hold (ok, raw, key, parent, known…).
_HELPER = re.compile(r"^(?P<column>[a-z][a-z0-9_]*?)__[a-z]+$")


def result_file(docs_dir: Path, page: str) -> Path:
    return docs_dir / (page.removesuffix(".html") + RESULT_SUFFIX)


def keep_result(docs_dir: Path, validation) -> str:
    """Keep the validation result its page will be built from; returns the page's path inside ``docs_dir``."""
    page = "/".join(("validations", *map(str, _identifier(validation).to_tuple()))) + ".html"
    path = result_file(docs_dir, page)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_contract_names(validation.to_json_dict()), ensure_ascii=False), encoding="utf-8")
    (docs_dir / page).unlink(missing_ok=True)  # a page of an earlier attempt is rebuilt from this result
    return page


def ensure_page(root: Path, path: str) -> None:
    """Build the Data Docs page ``path`` (inside ``root``) from its kept result, if not built yet."""
    base = root.resolve()
    if not path.endswith(".html") or not (base / path).resolve().is_relative_to(base) or (root / path).is_file():
        return  # built, or not a page of this folder (``..``): the route answers 404 for the latter
    site, _, page = path.rpartition("validations/")
    result = result_file(root / site, "validations/" + page)
    if not result.is_file():
        return
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema

    # Defines the contract's own expectations (the producer-code rule), which the result names.
    from agritrace.quality import gx_run  # noqa: F401

    validation = ExpectationSuiteValidationResultSchema().load(json.loads(result.read_text(encoding="utf-8")))
    site_dir = root / site
    _render(site_dir, validation, page.removesuffix(".html").split("/"))
    for built in (root / path, site_dir / "index.html"):
        if built.is_file():
            built.write_text(local_assets(built.read_text(encoding="utf-8"), built.relative_to(root).as_posix(),
                                          site), encoding="utf-8")


def local_assets(html: str, page: str, site: str) -> str:
    """``html`` (at ``page`` inside the docs root) loading its assets from the docs route, not from CDNs."""
    up = "../" * page.count("/")

    def local(match: re.Match) -> str:
        name = _VENDORED.get(match.group(1))
        if name is None:
            return ""  # charts and themes a validation page does not use: see gx_assets/LICENSES.md
        tag = match.group(0).replace(match.group(1), up + VENDOR_PREFIX + name)
        return re.sub(r'\s(?:integrity|crossorigin)="[^"]*"', "", tag)

    # GX's own static files sit at the site's root; some templates miscount the levels up to it.
    to_site = "../" * (page.count("/") - site.count("/"))
    html = re.sub(r'(?<=")(?:\./|(?:\.\./)+)static/', to_site + "static/", html)
    html = re.sub(re.escape(_GX_IMAGES) + r"[^\"')\s]+", to_site + _LOCAL_LOGO, html)
    return _ASSET_TAG.sub(local, html)


def _contract_names(result: dict) -> dict:
    """The result with each helper column (``issue_date__ok``, ``certificate_no__key``) named as the
    contract's column: the rule is in each expectation's description (``issue_date · type:date: …``)."""
    def rename(value):
        if isinstance(value, dict):
            return {rename(k) if isinstance(k, str) else k: rename(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, str) and (helper := _HELPER.match(value)):
            return helper["column"]
        return value

    return rename(result)


def _identifier(validation):
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(
        ExpectationSuiteIdentifier(validation.suite_name), RunIdentifier(run_name=validation.suite_name),
        validation.meta.get("active_batch_definition", {}).get("data_asset_name") or "rows")


def _render(site_dir: Path, validation, key: list[str]) -> None:
    """Render ``validation`` at the page its ``key`` (the identifier kept with it) names."""
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import ValidationResultIdentifier

    site_dir.mkdir(parents=True, exist_ok=True)
    # A context of its own: the site renders this result alone, not every result of the process.
    context = gx.get_context(mode="ephemeral")
    context.add_data_docs_site(site_name="agritrace", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": os.fspath(site_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    identifier = ValidationResultIdentifier.from_tuple(tuple(key))
    context.validation_results_store.set(identifier, validation)
    context.build_data_docs(site_names=["agritrace"], resource_identifiers=[identifier])
