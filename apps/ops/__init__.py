"""What operators watch: health checks for the load balancer and the detailed
report, and Server-Timing with the slow-query log on the deployed site."""
