"""`capactif demo`: the whole pipeline on the embedded default."""
