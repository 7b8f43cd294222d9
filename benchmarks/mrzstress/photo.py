"""A flat page photographed with a phone: perspective and rotation, a table or desk behind,
a thumb, glare, blur, low light and sensor noise, JPEG compression."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image, ImageDraw

from benchmarks.mrzstress.layout import Page, font

SUPERSAMPLE = 2  # the scene is drawn at twice the output size, then shrunk (anti-aliasing)
BACKGROUNDS = ("wood", "dark-desk", "fabric", "white-table", "clutter")


@dataclass(frozen=True)
class Conditions:
    """How one photo was taken. Drawn before rendering; the ``measured`` fields are filled
    in by :func:`photograph` from where the page actually landed."""

    width: int
    height: int
    page_fill: float  # share of the frame's limiting side the page spans
    tilt_deg: float  # camera tilt out of the page plane (perspective), 0–30
    tilt_axis_deg: float
    rotation_deg: float  # in-plane rotation besides the quarter turns, degrees
    quarter_turns: int  # 0–3, counter-clockwise
    motion_px: float  # motion blur length in output pixels (0 = none)
    motion_angle_deg: float
    defocus_px: float  # defocus disk radius in output pixels (0 = none)
    jpeg_quality: int
    light: float  # exposure factor: 1 normal, 0.15 very dark
    camera_gain: bool  # the phone brightened a dark shot (noise amplified with it)
    noise_sigma: float  # sensor noise, grey levels at normal exposure
    glare: float  # peak strength of the glare spot, 0 = none
    glare_over_mrz: bool
    thumb: bool
    thumb_over_mrz: bool  # the thumb covers MRZ characters: unreadable by design
    background: str
    mrz_char_px: float = 0.0  # measured: MRZ character pitch in the output image
    mrz_quad: tuple[tuple[float, float], ...] = ()  # measured: MRZ corners (TL, TR, BR, BL), output px


def _rotation(axis_deg: float, tilt_deg: float, spin_deg: float) -> np.ndarray:
    a, t, s = np.radians([axis_deg, tilt_deg, spin_deg])
    spin = np.array([[np.cos(s), -np.sin(s), 0], [np.sin(s), np.cos(s), 0], [0, 0, 1]])
    axis = np.array([np.cos(a), np.sin(a), 0.0])
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    tilt = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)
    return tilt @ spin


def _page_homography(page_w: int, page_h: int, cond: Conditions, rng: np.random.Generator,
                     canvas: tuple[int, int]) -> np.ndarray:
    """Page pixels → canvas pixels for a camera tilted and turned as ``cond`` says."""
    corners = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], np.float64)
    centred = np.hstack([corners - [page_w / 2, page_h / 2], np.zeros((4, 1))])
    # Image y grows downwards, so a counter-clockwise turn on screen is a negative angle.
    rot = _rotation(cond.tilt_axis_deg, cond.tilt_deg, -(90 * cond.quarter_turns + cond.rotation_deg))
    pts = centred @ rot.T
    distance = 1.3 * max(page_w, page_h)  # a phone held close: wide-angle perspective
    projected = pts[:, :2] * distance / (distance + pts[:, 2:3])
    cw, ch = canvas
    span = projected.max(axis=0) - projected.min(axis=0)
    scale = cond.page_fill * min(cw / span[0], ch / span[1])
    placed = (projected - projected.min(axis=0)) * scale
    room = np.array([cw, ch]) - span * scale
    placed += room * rng.uniform(0.1, 0.9, 2)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), placed.astype(np.float32))


def _background(kind: str, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3)
    if kind == "wood":
        grain = np.sin((y + 25 * np.sin(x / rng.uniform(60, 160))) / rng.uniform(3, 9)) * 0.5 + 0.5
        base = np.array([rng.uniform(120, 180), rng.uniform(75, 120), rng.uniform(40, 75)], np.float32)
        img = base * (0.75 + 0.25 * grain[..., None]) + 6 * noise[..., None]
    elif kind == "dark-desk":
        img = np.full((h, w, 3), rng.uniform(25, 70), np.float32) + 5 * noise[..., None]
    elif kind == "fabric":
        weave = (np.sin(x / 1.5) * np.sin(y / 1.5)) * 10
        img = rng.uniform(40, 160, 3).astype(np.float32) + (weave + 8 * noise)[..., None]
    elif kind == "white-table":
        img = np.full((h, w, 3), rng.uniform(200, 240), np.float32) + 3 * noise[..., None]
    else:  # clutter: papers with text, a keyboard-like block, a mug
        img = np.full((h, w, 3), rng.uniform(90, 170), np.float32) + 5 * noise[..., None]
        canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(2, 5))):
            x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
            x1, y1 = x0 + rng.uniform(0.2, 0.5) * w, y0 + rng.uniform(0.2, 0.5) * h
            draw.rectangle([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(180, 255, 3)))
            size = int(rng.uniform(0.012, 0.025) * h) + 6
            for k in range(int((y1 - y0) / (size * 1.6))):
                words = " ".join("".join(chr(65 + int(c)) for c in rng.integers(0, 26, int(rng.integers(2, 9))))
                                 for _ in range(int(rng.integers(2, 6))))
                draw.text((x0 + 8, y0 + 6 + k * size * 1.6), words, font=font("sans", size), fill=(40, 40, 40))
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.06, 0.12) * min(w, h)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
        img = np.asarray(canvas).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _quad_mask(quad: np.ndarray, size: tuple[int, int], grow: float = 0.0) -> np.ndarray:
    mask = np.zeros((size[1], size[0]), np.uint8)
    q = quad.astype(np.float32)
    if grow:
        c = q.mean(axis=0)
        q = c + (q - c) * (1 + grow)
    cv2.fillConvexPoly(mask, np.round(q).astype(np.int32), 1)
    return mask


def _thumb(scene: np.ndarray, rng: np.random.Generator, page_quad: np.ndarray, mrz_quad: np.ndarray,
           over_mrz: bool) -> bool:
    """Draw a thumb entering the page from one of its edges; True if it covers MRZ text."""
    h, w = scene.shape[:2]
    diag = float(np.linalg.norm(page_quad[2] - page_quad[0]))
    mrz_mask = _quad_mask(mrz_quad, (w, h))
    for _ in range(30):
        if over_mrz:  # onto one end of the MRZ, from the page edge beside it
            end = mrz_quad[[0, 3]].mean(axis=0) if rng.random() < 0.5 else mrz_quad[[1, 2]].mean(axis=0)
            centre = end + rng.normal(0, 0.01 * diag, 2)
        else:
            edge = int(rng.integers(4))
            a, b = page_quad[edge], page_quad[(edge + 1) % 4]
            centre = a + (b - a) * rng.uniform(0.1, 0.9)
        inward = page_quad.mean(axis=0) - centre
        # The tip reaches onto the page; the rest of the thumb lies outside it.
        centre = centre - inward / max(float(np.linalg.norm(inward)), 1e-6) * rng.uniform(0.1, 0.25) * diag
        angle = float(np.degrees(np.arctan2(inward[1], inward[0])))
        length, width = rng.uniform(0.28, 0.4) * diag, rng.uniform(0.1, 0.13) * diag
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (int(centre[0]), int(centre[1])), (int(length / 2), int(width / 2)), angle, 0, 360, 1, -1)
        covers = bool((mask & mrz_mask).any())
        if covers == over_mrz:
            break
    skin = np.array([rng.uniform(150, 230), rng.uniform(105, 175), rng.uniform(80, 150)], np.float32)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(1.0, width * 0.04))
    shade = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), width * 0.25)
    colour = skin * (0.7 + 0.35 * shade[..., None])
    scene[:] = np.clip(scene * (1 - soft[..., None]) + colour * soft[..., None], 0, 255).astype(np.uint8)
    return covers


def _glare(scene: np.ndarray, rng: np.random.Generator, page_quad: np.ndarray, mrz_quad: np.ndarray,
           strength: float, over_mrz: bool) -> None:
    h, w = scene.shape[:2]
    diag = float(np.linalg.norm(page_quad[2] - page_quad[0]))
    if over_mrz:
        t = rng.uniform(0.1, 0.9)
        centre = mrz_quad[0] + (mrz_quad[1] - mrz_quad[0]) * t + (mrz_quad[3] - mrz_quad[0]) * 0.5
    else:  # somewhere on the page above the MRZ
        top = page_quad[0] + (page_quad[1] - page_quad[0]) * rng.uniform(0.1, 0.9)
        centre = top + (page_quad[3] - page_quad[0]) * rng.uniform(0.1, 0.55)
    sx, sy = rng.uniform(0.04, 0.12) * diag, rng.uniform(0.02, 0.07) * diag
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.radians(rng.uniform(0, 180))
    u = (x - centre[0]) * np.cos(a) + (y - centre[1]) * np.sin(a)
    v = -(x - centre[0]) * np.sin(a) + (y - centre[1]) * np.cos(a)
    spot = np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2)) * strength
    scene[:] = np.clip(scene + spot[..., None] * 255 * 1.2, 0, 255).astype(np.uint8)


def _blur(img: np.ndarray, cond: Conditions) -> np.ndarray:
    if cond.defocus_px > 0.3:
        r = cond.defocus_px
        size = int(np.ceil(r)) * 2 + 1
        y, x = np.mgrid[0:size, 0:size] - size // 2
        kernel = np.clip(r + 0.5 - np.hypot(x, y), 0, 1).astype(np.float32)
        img = cv2.filter2D(img, -1, kernel / kernel.sum())
    if cond.motion_px > 0.5:
        size = int(np.ceil(cond.motion_px)) | 1
        kernel = np.zeros((size, size), np.float32)
        kernel[size // 2, :] = 1.0
        m = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), cond.motion_angle_deg, 1.0)
        kernel = cv2.warpAffine(kernel, m, (size, size))
        img = cv2.filter2D(img, -1, kernel / max(kernel.sum(), 1e-6))
    return img


def _expose(img: np.ndarray, cond: Conditions, rng: np.random.Generator) -> np.ndarray:
    """Exposure, uneven light and vignetting, sensor noise (worse in the dark), camera gain."""
    h, w = img.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp_dir = rng.uniform(0, 2 * np.pi)
    ramp = 1 + rng.uniform(0, 0.35) * ((x / w - 0.5) * np.cos(ramp_dir) + (y / h - 0.5) * np.sin(ramp_dir))
    vignette = 1 - rng.uniform(0.1, 0.4) * (((x / w - 0.5) ** 2 + (y / h - 0.5) ** 2) * 2)
    light = cond.light * ramp * vignette
    out = img.astype(np.float32) * light[..., None]
    if cond.light < 0.5:  # dim indoor light is warm
        out *= np.array([1.0, 0.93, 0.8], np.float32)
    # Shot noise grows with the signal, read noise does not; both in the dark-scene units.
    shot = rng.normal(0, 1, out.shape).astype(np.float32) * np.sqrt(np.maximum(out, 0) * 0.5)
    read = rng.normal(0, 1, out.shape).astype(np.float32) * cond.noise_sigma * 0.5
    out = out + shot * (cond.noise_sigma / 10) + read
    if not cond.camera_gain:
        return np.clip(out, 0, 255).astype(np.uint8)
    # The phone brightens a dark shot and smooths the amplified noise (its denoiser also
    # smears fine detail such as thin strokes and the filler's chevrons).
    out = np.clip(out * min(1 / max(cond.light, 0.05), 4.0) * 0.8, 0, 255).astype(np.uint8)
    return cv2.bilateralFilter(out, 5, 40, 3)


def photograph(page: Page, cond: Conditions, rng: np.random.Generator) -> tuple[bytes, Conditions]:
    """The JPEG bytes of the photo and the conditions with the measured fields filled in."""
    cw, ch = cond.width * SUPERSAMPLE, cond.height * SUPERSAMPLE
    ph, pw = page.image.shape[:2]
    homography = _page_homography(pw, ph, cond, rng, (cw, ch))
    scene = _background(cond.background, rng, cw, ch)
    corners = np.array([[[0, 0]], [[pw, 0]], [[pw, ph]], [[0, ph]]], np.float32)
    page_quad = cv2.perspectiveTransform(corners, homography)[:, 0]
    # A soft shadow under the page, then the page itself.
    shadow = cv2.GaussianBlur(_quad_mask(page_quad + rng.uniform(4, 14, 2), (cw, ch)).astype(np.float32), (0, 0), 9)
    scene = (scene * (1 - 0.45 * shadow[..., None])).astype(np.uint8)
    cv2.warpPerspective(page.image, homography, (cw, ch), dst=scene, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    mrz_quad = cv2.perspectiveTransform(page.mrz_quad[:, None, :], homography)[:, 0]
    thumb_over = _thumb(scene, rng, page_quad, mrz_quad, cond.thumb_over_mrz) if cond.thumb else False
    if cond.glare > 0:
        _glare(scene, rng, page_quad, mrz_quad, cond.glare, cond.glare_over_mrz)
    img = cv2.resize(scene, (cond.width, cond.height), interpolation=cv2.INTER_AREA)
    img = _blur(img, cond)
    img = _expose(img, cond, rng)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, cond.jpeg_quality])
    assert ok
    top_edge = float(np.linalg.norm(mrz_quad[1] - mrz_quad[0])) / SUPERSAMPLE
    line_chars = round(float(np.linalg.norm(page.mrz_quad[1] - page.mrz_quad[0])) / page.mrz_pitch_px)
    quad_out = tuple((round(float(x) / SUPERSAMPLE, 1), round(float(y) / SUPERSAMPLE, 1)) for x, y in mrz_quad)
    measured = replace(cond, thumb_over_mrz=thumb_over, mrz_char_px=round(top_edge / line_chars, 2), mrz_quad=quad_out)
    return encoded.tobytes(), measured
