"""Pure helpers shared by the features of actions: they import nothing of
the workflows (no models, no services), so any feature may use them."""
