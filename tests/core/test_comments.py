"""Comments are attached to the nodes they belong to, so formatting never loses them."""

from scenelang.parser import parse_patch, parse_scene
from scenelang.printer import print_scene

TEXT = """\
# before the header
scenelang 1
# before geometry
geometry {  # on the section line
  # leads the ball
  shape ball = sphere(
    radius=1  # inside a multi-line statement
  )
  shape cube = box(size=(1, 1, 1))  # trails the cube
  # closes geometry
}
# between sections
lighting { light key = sun(energy=4) # trails the light
}
# at the end
"""


def test_every_comment_position():
    scene = parse_scene(TEXT)
    assert scene.comments == ("# before the header",)
    geometry = scene.geometry
    assert geometry.comments == ("# before geometry", "# on the section line")
    ball, cube = geometry.statements
    assert ball.comments == ("# leads the ball", "# inside a multi-line statement")
    assert cube.trailing_comment == "# trails the cube"
    assert geometry.end_comments == ("# closes geometry",)
    assert scene.lighting.comments == ("# between sections",)
    assert scene.lights()[0].trailing_comment == "# trails the light"
    assert scene.end_comments == ("# at the end",)


def test_formatting_keeps_every_comment_and_is_stable():
    text = print_scene(parse_scene(TEXT))
    for line in TEXT.splitlines():
        if "#" in line:
            assert line[line.index("#"):] in text
    assert print_scene(parse_scene(text)) == text


def test_comments_in_patches_stay_with_full_statements():
    pf = parse_patch("patch geometry {\n  # a new ball\n  shape ball = sphere(radius=1)  # r=1\n"
                     "  # dropped: set and remove carry no comments\n  remove cube\n}\n")
    put = pf.patches[0].ops[0]
    assert put.statement.comments == ("# a new ball",)
    assert put.statement.trailing_comment == "# r=1"
