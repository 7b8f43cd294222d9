"""The pipeline on local files, no server: ``verify``, ``compare-faces``, ``check-liveness``."""

from __future__ import annotations

from typing import Optional

import click

from openidv.cli.base import main, print_json


@main.command()
@click.option("--front", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--back", type=click.Path(exists=True, dir_okay=False))
@click.option("--face", type=click.Path(exists=True, dir_okay=False))
@click.option("--country", default=None, help="Declared issuing country (alpha-2)")
@click.option("--document-type", default=None,
              type=click.Choice(["ID_CARD", "PASSPORT", "RESIDENCE_PERMIT", "DRIVER_LICENSE", "OTHER"]))
@click.option("--aml", is_flag=True, help="Also screen the person read against the loaded sanctions/PEP lists "
              "(the configured database; the JSON gets an AML block)")
def verify(front: str, back: Optional[str], face: Optional[str], country: Optional[str], document_type: Optional[str],
           aml: bool) -> None:
    """Run the whole pipeline on image files, no server.

    Prints the full-status JSON on stdout and a one-line verdict on stderr; exits 0 for
    APPROVED, 1 for any other status, 2 for bad input.
    """
    import pycountry

    from openidv.pipeline.engines import Engines
    from openidv.pipeline.images import (
        ANALYSIS_MAX_SIDE,
        ImageRejected,
        read_image_file,
    )
    from openidv.services.local import verdict_line, verify_images

    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country.upper()) is None):
        raise click.BadParameter(f"{country!r} is not an ISO 3166-1 alpha-2 country code", param_hint="--country")
    paths = {"FRONT": front, "BACK": back, "FACE": face}
    try:
        images = {step: read_image_file(p, ANALYSIS_MAX_SIDE) for step, p in paths.items() if p}
    except (ImageRejected, OSError) as exc:
        raise click.UsageError(f"{exc}") from None
    body, analysis = verify_images(Engines(), images, country=country.upper() if country else None,
                                   document_type=document_type, screen_aml=aml)
    print_json(body)
    click.echo(verdict_line(analysis), err=True)
    raise SystemExit(0 if analysis.decision.status == "APPROVED" else 1)


@main.command("compare-faces")
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
def compare_faces_command(a: str, b: str) -> None:
    """Similarity of the faces on two images, and the face result code."""
    from openidv.pipeline.engines import Engines
    from openidv.pipeline.images import read_image_file
    from openidv.pipeline.selfie import compare_faces

    result = compare_faces(Engines(), read_image_file(a), read_image_file(b))
    print_json({"similarity": result.similarity, "result": result.result})


@main.command("check-liveness")
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
def check_liveness_command(image: str) -> None:
    """Presentation-attack check of a selfie: LIVE, or FACE_UNCERTAIN when the passive model
    is not sure (it never answers FAKE_FACE: see docs/liveness.md)."""
    from openidv.pipeline.engines import Engines
    from openidv.pipeline.face import detect_faces
    from openidv.pipeline.images import read_image_file
    from openidv.pipeline.liveness import check_liveness

    engines = Engines()
    picture = read_image_file(image)
    faces = detect_faces(engines, picture)
    # Without a detected face the picture is taken to be a face crop (as the model's samples are).
    result = check_liveness(engines.liveness_model(), picture, faces[0].box if faces else None)
    print_json({"result": result.result, "score": result.score})
