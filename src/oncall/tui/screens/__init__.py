"""The console's screens: the queue, one incident, and the modals that change things."""
