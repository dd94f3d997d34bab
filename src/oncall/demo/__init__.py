"""The bundled demo workspace (the CAC pilot) and synthetic incident history for scale tests."""
