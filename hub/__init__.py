"""capactif-hub: the data-exchange hub of a network that supports entrepreneurs."""
