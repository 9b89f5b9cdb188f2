"""The handover checklist's form: one per item still waiting for the viewer's side (evaluations/views_exit.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.exit.models import HandoverItem

NOTE_MAX = HandoverItem._meta.get_field("note").max_length
Kind = HandoverItem.Kind
PLACEHOLDERS = {
    Kind.PARTICIPANTS: _("e.g. 312 participant records: 2 binders and the spreadsheet"),
    Kind.KEYS: _("e.g. 6 keys to rooms 201–203, 2 access cards"),
    Kind.EQUIPMENT: _("e.g. 1 projector, 2 speakers, 40 training manuals"),
    Kind.SESSIONS: _("e.g. 3 sessions not held (listed with dates); none, if every session was held"),
}


class HandoverConfirmForm(forms.Form):
    """Confirm one item. Whether the note is required (the first confirmation records what was handed
    over; the second confirms that record) is the service's rule; the form only shows it."""

    kind = forms.ChoiceField(choices=HandoverItem.Kind.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False, max_length=NOTE_MAX, strip=True, widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX})
    )

    def __init__(self, *args, item: HandoverItem, **kwargs):
        # One form per item on the page: ids differ, field names stay "kind" and "note".
        kwargs.setdefault("auto_id", f"id_{item.kind}_%s")
        kwargs.setdefault("initial", {"kind": item.kind})
        super().__init__(*args, **kwargs)
        self.item = item
        note = self.fields["note"]
        if item.provider_confirmed_at is None and item.palace_confirmed_at is None:
            note.label = _("What was handed over")
            note.widget.attrs.update(required=True, placeholder=PLACEHOLDERS[item.kind])
            note.help_text = _("Recorded with your confirmation; the other side confirms the same record.")
        else:
            # Confirming the record above: a remark is the exception, so one line is enough.
            note.widget = forms.TextInput(attrs={"maxlength": NOTE_MAX})
            note.label = _("Remark (optional)")
            note.help_text = _("Added to the record above, under your side's name.")
