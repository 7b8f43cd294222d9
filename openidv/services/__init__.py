"""Use cases that the API, the console and the command line call."""
