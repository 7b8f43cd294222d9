"""Queue tasks that glue the pipeline to the store: processing, webhooks, periodic sweeps."""
