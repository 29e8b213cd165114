"""The playground without a browser: settings validation, the training session, the Python code
it shows, the HTTP + Server-Sent Events endpoints and the `retrograd playground` command."""
import json
import socket
import time
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest

import retrograd as rg
from retrograd import nn
from retrograd.cli.main import main
from retrograd.live import playground
from retrograd.live.session import (
    LOSSES,
    Session,
    Settings,
    SettingsError,
    python_code,
    read_csv,
)

# -- settings ----------------------------------------------------------------------------------

def test_settings_read_back_what_they_write():
    settings = Settings(dataset="spirals", hidden=(16, 4), activation="relu", loss="mse",
                        optimizer="adam", lr=0.003, batch=64, l2=1e-4, seed=7)
    assert Settings.from_query(settings.to_query()) == settings


def test_settings_keep_the_base_for_what_the_query_omits():
    settings = Settings.from_query({"lr": "0.5", "hidden": ""}, Settings(batch=10))
    assert (settings.lr, settings.hidden, settings.batch) == (0.5, (), 10)


@pytest.mark.parametrize("query, message", [
    ({"hidden": "300"}, "at most 256"),
    ({"hidden": "8,8,8,8,8"}, "at most 4 hidden layers"),
    ({"hidden": "8,x"}, "must be an integer"),
    ({"lr": "0"}, "(0, 10]"),
    ({"lr": "11"}, "(0, 10]"),
    ({"lr": "nan"}, "finite"),
    ({"lr": "inf"}, "finite"),
    ({"lr": "fast"}, "must be a number"),
    ({"batch": "0"}, "at least 1"),
    ({"batch": "401"}, "at most the data set's size, 400"),
    ({"l2": "-1"}, "[0, 1]"),
    ({"dataset": "mnist"}, "dataset must be one of circles, moons"),
    ({"activation": "swish"}, "activation must be one of"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"speed": "3"}, "unknown setting 'speed'"),
])
def test_bad_settings_say_what_is_wrong(query, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_query(query)
    assert message in str(caught.value)


def test_read_csv_takes_a_header_and_any_labels(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n0,1,red\n1,0,blue\n0.5,0.5,red\n")
    X, y = read_csv(str(path))
    assert X.shape == (3, 2) and X.dtype == np.float32
    assert y.tolist() == [1, 0, 1]  # blue, red in sorted order


@pytest.mark.parametrize("text, message", [
    ("1,2,a\n", "2 to 10000 rows"),
    ("1,2,a\n3,4\n", "row 2 must be 'x1,x2,label'"),
    ("1,2,a\n3,4,a\n", "2 to 10 classes"),
    ("1,inf,a\n3,4,b\n", "finite"),
])
def test_read_csv_rejects_bad_files(text, message):
    with pytest.raises(SettingsError) as caught:
        read_csv(text, text=True)
    assert message in str(caught.value)


# -- the session -------------------------------------------------------------------------------

@pytest.fixture
def session():
    session = Session(Settings(hidden=(8,), batch=40))
    yield session
    session.close()


def test_a_fresh_session_is_evaluated_and_paused(session):
    view = session.view()
    assert (view["step"], view["running"], len(view["points"])) == (0, False, 1)
    assert len(view["boundary"]["classes"]) == view["grid"] ** 2
    assert set(view["grad_norms"]) == {"0.weight", "2.weight"}
    assert all(norm > 0 for norm in view["grad_norms"].values())
    assert len(view["data"]["y"]) == 400


def test_step_trains_one_batch(session):
    before = [p.detach().numpy().copy() for p in session.model.parameters()]
    session.control("step")
    view = session.view()
    assert view["step"] == 1 and not view["running"]
    assert any(not np.array_equal(a, p.detach().numpy())
               for a, p in zip(before, session.model.parameters()))


def test_start_trains_and_pause_stops(session):
    session.control("start")
    deadline = time.monotonic() + 30
    while session.view()["step"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    session.control("pause")
    step = session.view()["step"]
    assert step >= 20
    time.sleep(0.3)
    assert session.view()["step"] == step
    losses = [loss for _, loss, _ in session.view()["points"]]
    assert losses[-1] < losses[0]


def test_new_settings_start_a_new_run(session):
    for _ in range(3):
        session.control("step")
    run = session.view()["run"]
    session.apply({"dataset": "spirals", "lr": "0.05"})
    view = session.view()
    assert view["run"] == run + 1 and view["step"] == 0
    assert (view["settings"]["dataset"], view["settings"]["lr"], view["n_classes"]) == \
        ("spirals", "0.05", 3)
    assert "rg.datasets.spirals(400, seed=0)" in view["code"]


def test_bad_settings_leave_the_run_as_it_was(session):
    session.control("step")
    with pytest.raises(SettingsError, match="lr must be"):
        session.apply({"lr": "-1"})
    assert session.view()["step"] == 1 and session.settings.lr == 0.1


def test_reset_puts_back_the_initial_weights(session):
    first = [p.detach().numpy().copy() for p in session.model.parameters()]
    session.control("step")
    session.control("reset")
    assert session.view()["step"] == 0
    assert all(np.array_equal(a, p.detach().numpy())
               for a, p in zip(first, session.model.parameters()))


def test_the_graph_of_the_next_batch_follows_backprop_and_updates_nothing(session):
    session.control("step")
    grads = [p.grad.numpy().copy() for p in session.model.parameters()]
    nodes = session.graph()
    assert nodes[0]["variable"] == "f" and nodes[0]["expression"] == "cross_entropy(t3, y)"
    leaves = [node["variable"] for node in nodes if node["operation"] == "leaf"]
    assert leaves == ["0.weight", "0.bias", "2.weight", "2.bias"]
    linear = next(node for node in nodes if node["expression"] == "X @ 0.weightᵀ + 0.bias")
    assert "∂f/∂0.weight = (∂f/∂t1)ᵀ @ X" in [x["formula"] for x in linear["inputs"]]
    assert all(np.array_equal(g, p.grad.numpy())
               for g, p in zip(grads, session.model.parameters()))
    assert session.view()["step"] == 1


def test_a_diverging_run_pauses_with_the_reason_and_no_numpy_warning():
    session = Session(Settings(hidden=(64, 64), activation="relu", loss="mse", lr=10))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(50):
                session.control("step")
                if session.view()["error"]:
                    break
        view = session.view()
        assert "the learning rate is too large" in view["error"] and not view["running"]
        assert "not_finite" in [warning["code"] for warning in view["warnings"]]
        assert [str(w.message) for w in caught if w.category is RuntimeWarning] == []
    finally:
        session.close()


def test_an_unknown_action_is_refused(session):
    with pytest.raises(SettingsError, match="choose start, pause, step or reset"):
        session.control("jump")


def test_a_given_model_and_data_are_trained_and_reset():
    X, y = rg.datasets.blobs(60, seed=1)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3))
    initial = model.state_dict()["0.weight"].numpy().copy()
    session = Session(Settings(dataset="custom", batch=20), model=model, data=(X, y))
    try:
        session.control("step")
        assert not np.array_equal(model.state_dict()["0.weight"].numpy(), initial)
        session.control("reset")
        assert np.array_equal(model.state_dict()["0.weight"].numpy(), initial)
        assert "the model given to rg.playground" in session.view()["code"]
    finally:
        session.close()


def test_an_upload_the_given_model_cannot_fit_keeps_the_data_it_had():
    X, y = rg.datasets.blobs(60, seed=1)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 3))
    session = Session(Settings(dataset="custom", batch=20), model=model, data=(X, y))
    try:
        with pytest.raises(SettingsError, match=r"\(N, 2\) class scores"):
            session.set_data(*read_csv("0,0,a\n1,1,b\n", text=True))
        session.control("reset")
        assert len(session.view()["data"]["y"]) == 60
    finally:
        session.close()


def test_a_model_of_the_wrong_width_is_refused():
    X, y = rg.datasets.blobs(60, seed=1)
    with pytest.raises(SettingsError, match=r"\(N, 3\) class scores"):
        Session(Settings(dataset="custom", batch=20), model=nn.Linear(2, 2), data=(X, y))


def test_uploaded_data_starts_a_run_on_it(session):
    session.set_data(*read_csv("0,0,a\n1,1,b\n0,1,a\n1,0,b\n", text=True))
    view = session.view()
    assert view["settings"]["dataset"] == "custom" and view["settings"]["batch"] == "4"
    assert len(view["data"]["y"]) == 4


@pytest.mark.parametrize("loss", LOSSES)
def test_the_code_shown_runs(loss, capsys):
    code = python_code(Settings(hidden=(4,), loss=loss, optimizer="adam", l2=1e-3))
    exec(code.replace("range(50)", "range(1)"), {})
    assert "epoch 1: loss" in capsys.readouterr().out


# -- the server --------------------------------------------------------------------------------

@pytest.fixture
def server():
    server = playground(port=0, open_browser=False, block=False, hidden=(4,))
    yield server
    server.close()


def post(server, path, content):
    request = urllib.request.Request(server.url + path, data=json.dumps(content).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def read_events(response, count):
    events, lines = [], []
    while len(events) < count:
        line = response.readline().decode().rstrip("\n")
        if line:
            lines.append(line)
        elif lines:
            if lines[0] == "event: state":
                events.append(json.loads(lines[1][len("data: "):]))
            lines = []
    return events


def test_the_event_stream_sends_the_training_as_it_goes(server):
    with urllib.request.urlopen(server.url + "events", timeout=30) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        first, = read_events(response, 1)
        assert first["step"] == 0 and first["data"] is not None and len(first["points"]) == 1
        assert post(server, "api/control", {"action": "start"})[0] == 200
        events = read_events(response, 3)
    steps = [event["step"] for event in events]
    assert steps == sorted(steps) and steps[-1] > 0
    # after the first event, only the new points and no data
    assert all(event["data"] is None for event in events)
    received = [point for event in [first] + events for point in event["points"]]
    assert received == server.session.view()["points"][:len(received)]


def test_the_api_refuses_bad_settings_with_the_reason(server):
    assert post(server, "api/settings", {"lr": "100"}) == \
        (400, {"error": "lr must be a finite number in (0, 10]; got 100"})
    status, answer = post(server, "api/settings", {"lr": "0.5", "dataset": "xor"})
    assert status == 200 and answer["settings"]["lr"] == "0.5"
    assert post(server, "api/control", ["start"])[0] == 400


def test_the_graph_is_served(server):
    with urllib.request.urlopen(server.url + "api/graph", timeout=10) as response:
        nodes = json.load(response)["nodes"]
    assert nodes[0]["variable"] == "f" and nodes[-1]["operation"] == "leaf"


def test_the_page_and_its_files_are_served(server):
    for path, kind in [("", "text/html"), ("static/app.js", "text/javascript"),
                       ("static/style.css", "text/css")]:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            assert response.headers["Content-Type"].startswith(kind)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url + "static/../session.py", timeout=10)
    assert caught.value.code == 404
    assert server.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("data, message", [
    (5, "data must be"),
    ((np.zeros((4, 3)), np.array([0, 1, 0, 1])), "X must have shape"),
    ((np.zeros((4, 2)), np.array([0.5, 1, 0, 1])), "classes 0..C-1"),
])
def test_rg_playground_refuses_bad_data(data, message):
    with pytest.raises(SettingsError, match=message):
        playground(data=data, open_browser=False, block=False, batch=2)


def test_rg_playground_is_the_function_even_after_the_package_is_imported():
    import retrograd.live.server  # noqa: F401  (the package's name is not the function's)
    with pytest.raises(SettingsError, match="hidden"):
        rg.playground(hidden=(1000,), open_browser=False, block=False)


# -- the command -------------------------------------------------------------------------------

def test_the_command_refuses_a_bad_port(capsys):
    assert main(["playground", "--port", "http"]) == 2
    assert "--port" in capsys.readouterr().err


def test_the_command_says_when_the_port_is_taken(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == 1
    assert f"port {port} is in use" in capsys.readouterr().err


def test_ctrl_c_stops_the_command_with_status_130(monkeypatch, capsys):
    import retrograd.live.server as server_module

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(server_module.PlaygroundServer, "serve_forever", interrupted)
    assert main(["playground", "--no-browser", "--port", "0"]) == 130
    assert "retrograd playground: interrupted" in capsys.readouterr().err
