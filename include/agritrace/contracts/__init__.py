"""The four feed contracts: the single definition of each feed's columns, aliases and rules."""

from agritrace.contracts.base import Feed, Field
from agritrace.contracts.certificates import CERTIFICATES
from agritrace.contracts.inspection_results import INSPECTION_RESULTS
from agritrace.contracts.producers import PRODUCERS
from agritrace.contracts.sampling_batches import SAMPLING_BATCHES

FEEDS: dict[str, Feed] = {
    feed.name: feed for feed in (PRODUCERS, CERTIFICATES, SAMPLING_BATCHES, INSPECTION_RESULTS)
}
# Parents load before children so a certificate finds the producer that came in the same run.
LOAD_ORDER = ("producers", "certificates", "sampling_batches", "inspection_results")


def feed(name: str) -> Feed:
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; feeds are {', '.join(FEEDS)}") from None


__all__ = ["FEEDS", "LOAD_ORDER", "Feed", "Field", "feed"]
