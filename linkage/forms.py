from django import forms

from linkage.review import CHOICES

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class LocalListForm(forms.Form):
    division = forms.ModelChoiceField(queryset=None, empty_label=None, label="Division",
                                      help_text="The division whose waitlist the list is merged into.")
    file = forms.FileField(label="Local waitlist (CSV or .xlsx)",
                           help_text="One row per person, with a header row; see the columns above.",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,.xlsx"}))

    def __init__(self, *args, divisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 50 MB; use the import_waitlist command instead.")
        if f.size == 0:
            raise forms.ValidationError("The file is empty.")
        return f


class ReviewForm(forms.Form):
    choice = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, label="What is this row?")
    person = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Candidate",
                                    widget=forms.RadioSelect)
    same_as = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                     label="The earlier row of this file")
    note = forms.CharField(max_length=300, required=False, label="How you know")

    def __init__(self, *args, candidates, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(c.person.pk, f"{c.person.last_name}, {c.person.first_name}")
                                         for c in candidates]
        self.fields["same_as"].choices = [("", "—")] + [(r.pk, f"line {r.line}: {r.last_name}, {r.first_name}")
                                                         for r in rows]

    def clean(self):
        data = super().clean()
        if data.get("choice") == "merge" and not data.get("person"):
            self.add_error("person", "Choose the candidate this row is.")
        if data.get("choice") == "duplicate" and not data.get("same_as"):
            self.add_error("same_as", "Choose the row this one repeats.")
        return data


class NoteForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Why")


class PairForm(forms.Form):
    decision = forms.ChoiceField(choices=[("merge", "The same person: merge them"),
                                          ("distinct", "Two different people")],
                                 widget=forms.RadioSelect, label="Are these the same person?")
    note = forms.CharField(max_length=300, required=False, label="How you know")
