"""Where does a CNN look? The library behind the class-activation-map course."""
