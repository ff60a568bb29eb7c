"""Clean what was stored before text was saved without control characters
(apps.core.text): a vertical tab in one title made every feed answer 500."""

from django.db import migrations, models

# PostgreSQL's regular expression for apps.core.text.CONTROL_CHARACTERS (NUL
# never reaches a text column).
CONTROL_CHARACTERS = r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]"


def strip_stored_control_characters(apps, schema_editor):
    """One UPDATE per table, touching only the rows that hold a control
    character, with a new last_modified so their cached fragments expire."""
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for model_name in ("Author", "Category", "Tag", "Post"):
            model = apps.get_model("blog", model_name)
            columns = [
                quote(field.column)
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField)
            ]
            assignments = ", ".join(f"{column} = regexp_replace({column}, %s, '', 'g')" for column in columns)
            matches = " OR ".join(f"{column} ~ %s" for column in columns)
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {assignments}, last_modified = statement_timestamp() WHERE {matches}",  # noqa: S608 - names from the models, values as parameters
                [CONTROL_CHARACTERS] * len(columns) * 2,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0006_unguessable_upload_names"),
    ]

    operations = [
        migrations.RunPython(strip_stored_control_characters, migrations.RunPython.noop, elidable=True),
    ]
