"""What the anonymous internet meets: who a client is (its address behind
trusted proxies), per-client rate limits, login throttling and the
Content-Security-Policy."""
