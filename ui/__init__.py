"""The pygame client: render loop, screens, widgets."""
