"""What coordinators and DPOs do in the web console."""
