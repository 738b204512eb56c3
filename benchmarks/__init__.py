"""`make bench`: throughput and latency of the real server against the bare stack."""
