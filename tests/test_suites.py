"""Suite loaders and the integrity gate: fast, CPU only, no network.

VBench's real prompt files are read in place from the shared folder beside the repository.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from eval.errors import SuiteError
from eval.records import Suite, SuiteItem
from eval.suites import REGISTRY, fetch, load_suite, vbench_t2v
from eval.suites.integrity import check_suite
from eval.suites.naming import MAX_FILE_NAME_BYTES, prompt_map, stable_id, vbench_video_name
from eval.suites.smoke import ensure_smoke_images
from eval.suites.vbench_i2v import ratio_for

SHARED_VBENCH = Path(__file__).resolve().parents[2] / "shared" / "vbench"
T2V_JSON = SHARED_VBENCH / "VBench_full_info.json"
I2V_JSON = SHARED_VBENCH / "vbench2_i2v_full_info.json"
needs_shared = pytest.mark.skipif(
    not I2V_JSON.is_file() or not T2V_JSON.is_file(), reason=f"VBench prompt files not found in {SHARED_VBENCH}"
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SKYREELS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def jpeg_bytes(size=(64, 36), color=(90, 140, 200)) -> bytes:
    buffer = io.BytesIO()
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    Image.blend(image, Image.new("RGB", size, color), 0.5).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes(size=(64, 36)) -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize(size).save(buffer, format="PNG")
    return buffer.getvalue()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(SuiteError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- VBench T2V -------------------------------------------------------------------------------


@needs_shared
def test_vbench_t2v_merges_duplicate_prompts_and_counts_videos():
    entries = json.loads(T2V_JSON.read_text())
    flickering = {e["prompt_en"] for e in entries if "temporal_flickering" in e["dimension"]}
    prompts = {e["prompt_en"] for e in entries}
    expected_videos = sum(25 if p in flickering else 5 for p in prompts)

    suite = load_suite("vbench_t2v", path=str(T2V_JSON))

    assert (len(entries), len(suite.items), suite.task) == (946, 944, "t2v")
    assert suite.n_videos == expected_videos == 869 * 5 + 75 * 25 == 6220
    by_prompt = {item.prompt: item for item in suite.items}
    assert by_prompt["The bund Shanghai, oil painting"].dimensions == (
        "appearance_style",
        "overall_consistency",
        "aesthetic_quality",
        "imaging_quality",
    )
    assert by_prompt["In a still frame, a stop sign"].samples == 25
    assert all(item.id == stable_id(item.prompt) for item in suite.items)
    assert len({item.id for item in suite.items}) == 944


@needs_shared
def test_vbench_t2v_ids_do_not_depend_on_order(tmp_path):
    reversed_json = tmp_path / "reversed.json"
    reversed_json.write_text(json.dumps(json.loads(T2V_JSON.read_text())[::-1]))
    ids = {i.prompt: i.id for i in load_suite("vbench_t2v", path=str(T2V_JSON)).items}
    reordered = {i.prompt: i.id for i in load_suite("vbench_t2v", path=str(reversed_json)).items}
    assert ids == reordered


def test_vbench_t2v_finds_packaged_json_without_importing_vbench(tmp_path, monkeypatch):
    package = tmp_path / "site" / "vbench"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('vbench must not be imported')\n")
    (package / "VBench_full_info.json").write_text(json.dumps([{"prompt_en": "a red car", "dimension": ["color"]}]))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in sys.modules if m.split(".")[0] in ("vbench", "vbench2_beta_i2v")]:
        monkeypatch.delitem(sys.modules, name)  # imported by scoring tests earlier in the session

    suite = load_suite("vbench_t2v")

    assert suite.source == str(package / "VBench_full_info.json")
    assert [(i.prompt, i.samples) for i in suite.items] == [("a red car", 5)]
    assert "vbench" not in sys.modules


def test_vbench_t2v_without_vbench_asks_for_path(monkeypatch):
    monkeypatch.setattr(vbench_t2v, "find_spec", lambda name: None)
    message = error_of(load_suite, "vbench_t2v")
    assert "vbench package is not installed" in message
    assert "suite.path=/path/to/VBench_full_info.json" in message


# --- VBench-I2V -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def i2v_data_dir(tmp_path_factory):
    """A data dir with a stand-in JPEG for every image of the real I2V JSON (JSON not copied)."""
    data_dir = tmp_path_factory.mktemp("vbench_i2v")
    crops = data_dir / "crop" / "16-9"
    crops.mkdir(parents=True)
    for entry in json.loads(I2V_JSON.read_text()):
        (crops / entry["image_name"]).write_bytes(jpeg_bytes())
    return data_dir


@needs_shared
def test_vbench_i2v_counts(i2v_data_dir):
    suite = load_suite("vbench_i2v", data_dir=str(i2v_data_dir), path=str(I2V_JSON), ratio=ratio_for(960, 544))

    assert (suite.task, len(suite.items), suite.n_videos) == ("i2v", 1118, 5590)
    assert len({item.image for item in suite.items}) == 355
    assert len({item.id for item in suite.items}) == 1118
    assert all(Path(item.image).parent == (i2v_data_dir / "crop" / "16-9").resolve() for item in suite.items)
    assert {item.image_sha256 for item in suite.items} == {hashlib.sha256(jpeg_bytes()).hexdigest()}
    first = suite.items[0]
    assert first.id == stable_id(first.prompt, Path(first.image).name)
    assert dict(first.meta) == {"image_type": "abstract", "where": f"{I2V_JSON}[0]"}


def test_vbench_i2v_without_json_says_what_to_download(tmp_path):
    message = error_of(load_suite, "vbench_i2v", data_dir=str(tmp_path))
    assert f"VBench-I2V prompt list not found: {tmp_path / 'vbench2_i2v_full_info.json'}" in message
    assert f"python -m eval.suites.fetch vbench_i2v --dest {tmp_path}" in message
    assert "vbench2_beta_i2v/vbench2_i2v_full_info.json" in message
    assert "45e79ec14e69a2187202c675d2dbce1a71843d53" in message


@needs_shared
def test_vbench_i2v_without_crops_says_what_to_download(tmp_path):
    message = error_of(load_suite, "vbench_i2v", data_dir=str(tmp_path), path=str(I2V_JSON))
    assert f"VBench-I2V 16-9 crops not found: {tmp_path / 'crop' / '16-9'}" in message
    assert "crop.zip" in message and "pip install gdown" in message
    assert "drive.google.com/drive/folders/" in message and "full_info.json to" not in message
    assert f"python -m eval.suites.fetch vbench_i2v --dest {tmp_path}" in message
    assert "suite.image_root" in message


@needs_shared
def test_vbench_i2v_gate_lists_each_missing_crop(tmp_path):
    names = sorted({e["image_name"] for e in json.loads(I2V_JSON.read_text())})
    crops = tmp_path / "crop" / "16-9"
    crops.mkdir(parents=True)
    for name in names[1:]:
        (crops / name).write_bytes(jpeg_bytes())
    entries = json.loads(I2V_JSON.read_text())
    uses = [i for i, e in enumerate(entries) if e["image_name"] == names[0]]

    message = error_of(load_suite, "vbench_i2v", data_dir=str(tmp_path), path=str(I2V_JSON))

    assert message.startswith(
        f"suite 'vbench_i2v': {len(uses)} problems — first: {I2V_JSON}[{uses[0]}]: image not found: {crops / names[0]}"
    )
    assert all(f"{I2V_JSON}[{i}]: image not found" in message for i in uses)


def test_vbench_i2v_rejects_unknown_ratio(tmp_path):
    message = error_of(load_suite, "vbench_i2v", data_dir=str(tmp_path), ratio="4-3")
    assert "no '4-3' crops" in message and "1-1, 3-2, 8-5, 7-4, 16-9" in message


@pytest.mark.parametrize(
    "size, ratio",
    [
        ((960, 544), "16-9"),
        ((1280, 720), "16-9"),
        ((512, 512), "1-1"),
        ((1280, 800), "8-5"),
        ((1344, 768), "7-4"),
        ((544, 960), "1-1"),
        ((720, 480), "3-2"),
    ],
)
def test_ratio_for_picks_closest_vbench_crop(size, ratio):
    assert ratio_for(*size) == ratio


# --- custom files -----------------------------------------------------------------------------


def test_custom_txt_skips_blank_lines(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("a dog runs\n\n   \na cat sleeps  \n", encoding="utf-8")

    suite = load_suite("custom", path=str(path), samples=3)

    assert (suite.name, suite.task, suite.n_videos) == ("mine", "t2v", 6)
    assert [(i.prompt, i.id) for i in suite.items] == [
        ("a dog runs", stable_id("a dog runs")),
        ("a cat sleeps", stable_id("a cat sleeps")),
    ]
    assert dict(suite.items[1].meta)["where"] == f"{path}:4"


def test_custom_jsonl_resolves_images_relative_to_the_file(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(png_bytes())
    (tmp_path / "imgs" / "b.jpg").write_bytes(jpeg_bytes())
    path = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {"prompt": "a boat", "image": "imgs/a.png", "id": "boat", "dimensions": ["i2v_subject"]},
            {"prompt": "a kite", "image": "imgs/b.jpg", "samples": 2},
        ],
    )

    suite = load_suite("custom", path=str(path))

    assert suite.task == "i2v" and suite.n_videos == 5 + 2
    boat, kite = suite.items
    assert (boat.id, boat.image, boat.dimensions) == ("boat", str(tmp_path / "imgs" / "a.png"), ("i2v_subject",))
    assert kite.id == stable_id("a kite", "imgs/b.jpg")
    assert kite.image_sha256 == hashlib.sha256(jpeg_bytes()).hexdigest()


def test_custom_csv_with_dimensions_and_image_root(tmp_path):
    images = tmp_path / "elsewhere"
    images.mkdir()
    (images / "x.png").write_bytes(png_bytes())
    path = tmp_path / "suite.csv"
    path.write_text(
        "prompt,image,dimensions,samples\n"
        '"a bird, flying",x.png,subject_consistency; imaging_quality,4\n'
        "a fish,x.png,,\n",
        encoding="utf-8-sig",
    )  # with a BOM, as Excel saves

    suite = load_suite("custom", path=str(path), image_root=str(images))

    bird, fish = suite.items
    assert (bird.prompt, bird.dimensions, bird.samples) == (
        "a bird, flying",
        ("subject_consistency", "imaging_quality"),
        4,
    )
    assert (fish.samples, fish.dimensions, fish.image) == (5, (), str(images / "x.png"))
    assert dict(fish.meta)["where"] == f"{path}:3"


def test_custom_mixing_images_and_no_images_names_the_lines(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"prompt": "one", "image": "a.png"},
            {"prompt": "two"},
            {"prompt": "three"},
            {"prompt": "four", "image": "b.png"},
        ],
    )
    message = error_of(load_suite, "custom", path=str(path))
    assert "lines 2, 3 have no image but lines 1, 4 do" in message


@pytest.mark.parametrize(
    "line, fragment",
    [
        ('{"prompt": "x", "caption": "y"}', ":1: unknown field(s) caption; fix: use only prompt"),
        ('{"prompt": "x", ', ":1: not valid JSON"),
        ('{"image": "a.png"}', ":1: no 'prompt'"),
        ('{"prompt": "x", "dimensions": "color"}', ":1: 'dimensions' must be a list of dimension"),
    ],
)
def test_custom_jsonl_format_errors(tmp_path, line, fragment):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    assert fragment in error_of(load_suite, "custom", path=str(path))


def test_custom_file_not_utf8(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("un caf\u00e9\n".encode("latin-1"))
    assert "is not UTF-8" in error_of(load_suite, "custom", path=str(path))


def test_custom_unknown_format(tmp_path):
    path = tmp_path / "prompts.yaml"
    path.write_text("- a dog\n")
    assert "is not .txt, .jsonl or .csv" in error_of(load_suite, "custom", path=str(path))


# --- smoke ------------------------------------------------------------------------------------


def test_smoke_images_are_byte_identical_across_builds(tmp_path):
    first, second = ensure_smoke_images(tmp_path / "a"), ensure_smoke_images(tmp_path / "b")
    digests = [{p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in d.iterdir()} for d in (first, second)]
    assert digests[0] == digests[1]
    assert sorted(digests[0]) == ["checkerboard.png", "red_ball.png", "sunset.png"]
    assert all(p.stat().st_size < 20_000 for p in first.iterdir())


def test_smoke_suite_draws_images_and_repairs_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SKYREELS_CACHE", str(tmp_path))
    suite = load_suite("smoke")
    assert (suite.task, len(suite.items), suite.n_videos) == ("i2v", 3, 6)
    assert all(Path(item.image).parent == tmp_path / "smoke_images" for item in suite.items)

    Path(suite.items[0].image).write_bytes(b"damaged")
    assert load_suite("smoke") == suite


def test_smoke_t2v_suite():
    suite = load_suite("smoke_t2v")
    assert (suite.task, len(suite.items), suite.n_videos) == ("t2v", 3, 6)


# --- the integrity gate -----------------------------------------------------------------------


def test_gate_lists_every_problem_with_location_and_fix(tmp_path):
    (tmp_path / "ok.png").write_bytes(png_bytes())
    png, jpeg = png_bytes((256, 256)), jpeg_bytes((256, 256))
    (tmp_path / "cut.png").write_bytes(png[: len(png) * 2 // 3])  # cut inside the pixel data
    (tmp_path / "cut.jpg").write_bytes(jpeg[: len(jpeg) * 2 // 3])
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"id": "a", "prompt": "fine", "image": "ok.png"},
            {"id": "a", "prompt": "same id", "image": "ok.png"},
            {"prompt": "no file", "image": "missing.png"},
            {"prompt": "cut png", "image": "cut.png"},
            {"prompt": "cut jpeg", "image": "cut.jpg"},
            {"prompt": "   ", "image": "ok.png"},
            {"prompt": "cats/dogs", "image": "ok.png"},
            {"prompt": "x" * 300, "image": "ok.png"},
            {"prompt": "fine", "id": "b", "image": "ok.png"},
            {"prompt": "zero", "image": "ok.png", "samples": 0},
        ],
    )

    lines = error_of(load_suite, "custom", path=str(path)).splitlines()

    assert lines[0] == (f"suite 'bad': 9 problems — first: {path}:2: duplicate id 'a' (first at {path}:1)")
    listed = [line.strip() for line in lines[1::2]]
    fixes = [line.strip() for line in lines[2::2]]
    assert [entry.split(": ", 1)[0] for entry in listed] == [
        f"{n}. {path}:{line}" for n, line in enumerate(range(2, 11), 1)
    ]
    assert f"image not found: {tmp_path / 'missing.png'}" in listed[1]
    assert f"image corrupt: {tmp_path / 'cut.png'}" in listed[2]
    assert f"image corrupt: {tmp_path / 'cut.jpg'}" in listed[3]
    assert listed[4].endswith("empty prompt")
    assert listed[5].endswith("prompt contains '/'")
    assert "prompt is 300 bytes in UTF-8, over the 246-byte limit" in listed[6]
    assert "long_prompts=hash" in fixes[6]
    assert f"duplicate prompt (first at {path}:1)" in listed[7]
    assert listed[8].endswith("samples is 0")
    assert all(fix.startswith("fix: ") and len(fix) > 15 for fix in fixes)


def test_gate_accepts_long_prompts_in_hash_mode(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("a" * 150 + " " + "b" * 149 + "\n", encoding="utf-8")
    assert "prompt is 300 bytes" in error_of(load_suite, "custom", path=str(path))

    suite = load_suite("custom", path=str(path), long_prompts="hash")
    prompt = suite.items[0].prompt
    names = prompt_map(suite, long_prompts="hash")

    assert len(names) == 5 and set(names.values()) == {prompt}
    name = vbench_video_name(prompt, 4, "hash")
    assert name in names and name.endswith(f"~{stable_id(prompt)}-4.mp4")
    assert len(name.encode()) <= MAX_FILE_NAME_BYTES and name.startswith(prompt[:200])


def test_gate_fills_sha256_and_checks_i2v_items_have_images():
    suite = load_suite("smoke")
    imageless = Suite(
        name="x", task="i2v", items=(SuiteItem(id="y", prompt="no image"),), source="", benchmark="vbench_i2v"
    )
    assert "item 'y': no image, but the suite is i2v" in error_of(check_suite, imageless)
    assert all(len(item.image_sha256) == 64 for item in suite.items)


def test_video_names():
    assert vbench_video_name("A cat. A dog", 3) == "A cat. A dog-3.mp4"
    assert "prompt contains '/'" in error_of(vbench_video_name, "a/b", 0)
    assert "long_prompts='cut' is not a mode" in error_of(vbench_video_name, "a", 0, "cut")
    multibyte = "é" * 200  # 400 bytes: the cut must not split a character
    assert vbench_video_name(multibyte, 0, "hash") == f"{'é' * 116}~{stable_id(multibyte)}-0.mp4"


# --- registry, imports, fetch -----------------------------------------------------------------


def test_unknown_suite_lists_known_ones():
    message = error_of(load_suite, "vbench")
    assert f"known suites: {', '.join(sorted(REGISTRY))}" in message
    assert "suite=custom with suite.path=FILE" in message


def test_unknown_option_is_named():
    message = error_of(load_suite, "smoke_t2v", ratio="16-9")
    assert "unexpected keyword argument 'ratio'; its options are: samples, long_prompts" in message


def test_suites_import_no_heavy_modules():
    code = (
        "import sys, eval.suites as s, eval.suites.fetch\n"
        "s.load_suite('smoke_t2v')\n"
        "for name in s.REGISTRY.values(): __import__(name.split(':')[0])\n"
        "heavy = {'torch', 'diffusers', 'vbench'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


@needs_shared
def test_fetch_without_gdown_prints_manual_steps(tmp_path, monkeypatch, capsys):
    fetched = []
    monkeypatch.setattr(
        fetch, "download", lambda url, target: (fetched.append(url), target.write_bytes(I2V_JSON.read_bytes()))
    )
    monkeypatch.setattr(fetch, "find_spec", lambda name: None)

    assert fetch.main(["vbench_i2v", "--dest", str(tmp_path)]) == 1

    assert fetched == [
        "https://raw.githubusercontent.com/Vchitect/VBench/"
        "45e79ec14e69a2187202c675d2dbce1a71843d53/vbench2_beta_i2v/"
        "vbench2_i2v_full_info.json"
    ]
    printed = capsys.readouterr().out
    assert "gdown is not installed" in printed and "crop.zip" in printed
    assert f"unzip it into {tmp_path}" in printed


def test_fetch_with_gdown_unpacks_crops_into_place(tmp_path, monkeypatch):
    def fake_gdown_download(id, output, quiet):
        assert id == fetch.CROPS_ZIP_DRIVE_ID
        with zipfile.ZipFile(output, "w") as zipped:
            zipped.writestr("crop/16-9/a dog.jpg", jpeg_bytes())
            zipped.writestr("crop/1-1/a dog.jpg", jpeg_bytes())
        return output

    monkeypatch.setitem(sys.modules, "gdown", types.SimpleNamespace(download=fake_gdown_download))
    monkeypatch.setattr(fetch, "find_spec", lambda name: object())
    (tmp_path / "vbench2_i2v_full_info.json").write_text("[]")  # present: not downloaded again

    assert fetch.main(["vbench_i2v", "--dest", str(tmp_path)]) == 0

    assert (tmp_path / "crop" / "16-9" / "a dog.jpg").read_bytes() == jpeg_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crop", "vbench2_i2v_full_info.json"]
