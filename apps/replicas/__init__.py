"""Read replicas: which database a read goes to (the router), which clients
must read the primary to see their own writes (the middleware), and whether
each replica is up and how far it lags (health)."""
