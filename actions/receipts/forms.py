from django import forms
from django.utils.translation import gettext_lazy as _

# A receipt is well under 4 KB; anything much larger is not one.
MAX_RECEIPT_BYTES = 64 * 1024


class ReceiptCheckForm(forms.Form):
    """A receipt pasted as text or uploaded as its JSON file."""

    receipt = forms.CharField(
        label=_("Paste your receipt"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
        max_length=MAX_RECEIPT_BYTES,
    )
    file = forms.FileField(label=_("Or choose the receipt file"), required=False)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is not None:
            cleaned["receipt"] = self._read(upload)
        if not cleaned.get("receipt"):
            raise forms.ValidationError(
                _("Paste a receipt or choose its file."), code="empty"
            )
        return cleaned

    def _read(self, upload: object) -> str:
        size = getattr(upload, "size", 0) or 0
        if size > MAX_RECEIPT_BYTES:
            raise forms.ValidationError(_("This file is too large to be a receipt."))
        try:
            return upload.read().decode("utf-8")  # type: ignore[attr-defined]
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("This file is not a receipt: it is not text.")
            ) from None
