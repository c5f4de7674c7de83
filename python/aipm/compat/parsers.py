"""aipm.compat.parsers: AIPowerMeter's JsonParser, as the handle on a
recording directory that Experiment and ExpResults take.

The directory is written by aipm (its meter or `aipm attach`), never by
this class: JsonParser only names it and carries the description, and
erase() is what Experiment(cont=False) asks for, which aipm does by
replacing the recording when the meter starts.
"""
import os


class JsonParser:
    def __init__(self, location, meta_data=""):
        if isinstance(meta_data, dict):
            self.description = meta_data.get("description", "")
        elif isinstance(meta_data, str):
            self.description = meta_data
        else:
            raise TypeError("meta_data must be a str or a dict, not %s" % type(meta_data).__name__)
        self.folder = os.fspath(location)
        self.power_metric_filename = os.path.join(self.folder, "power_metrics.json")
        self.exp_metric_filename = os.path.join(self.folder, "results_exp.json")
        self.model_card_file = os.path.join(self.folder, "model_summary.json")
        self.metadata_filename = os.path.join(self.folder, "metadata.json")

    def get_description(self):
        import json
        try:
            d = json.load(open(self.metadata_filename)).get("description") or None
        except (OSError, ValueError):
            d = self.description or None
        return d

    def get_model_card(self):
        import json
        if os.path.isfile(self.model_card_file):
            return json.load(open(self.model_card_file))
        return None

    def erase(self):
        """Nothing to do now: aipm replaces the recording when measuring
        starts (an old one stays until a new one has started)."""
