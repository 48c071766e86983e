from agritrace.contracts.docs import DOC_PATH, render


def test_documented_contract_matches_the_definitions():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/data_contract.md is out of date: run `python -m agritrace.contracts.docs`")


def test_every_column_of_every_feed_is_documented():
    from agritrace.contracts import FEEDS

    text = render()
    for feed in FEEDS.values():
        for field in feed.fields:
            assert f"| `{field.name}` |" in text
