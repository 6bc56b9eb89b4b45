// The chat's sketch pad (the /sketch command): a canvas with a pen, an eraser, four colours,
// a stroke width, undo (the stroke history), clear, and a field for what the drawing is for.
// Send exports the drawing as a PNG on white paper and calls the server's "sketch_send" action,
// which checks it and runs the turn with it as a sketch attachment. Every word shown comes in
// props.labels from the server's text catalogue (props.lang: "zh" or "en").
import { useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Eraser, Pencil, SendHorizontal, Trash2, Undo2 } from "lucide-react";

const WIDTH = 800;
const HEIGHT = 500;
const PAPER = "#ffffff";
const COLOURS = [
  ["black", "#111111"],
  ["blue", "#1d4ed8"],
  ["red", "#dc2626"],
  ["green", "#15803d"],
];

function paint(canvas, strokes) {
  const ctx = canvas.getContext("2d");
  ctx.globalCompositeOperation = "source-over";
  ctx.fillStyle = PAPER;
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const s of strokes) {
    ctx.strokeStyle = s.erase ? PAPER : s.colour;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = s.width;
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      ctx.beginPath();
      ctx.arc(x, y, s.width / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(s.points[0][0], s.points[0][1]);
    for (const [x, y] of s.points.slice(1)) ctx.lineTo(x, y);
    ctx.stroke();
  }
}

export default function SketchPad() {
  const labels = props.labels || {};
  const say = (key) => labels[key] || key;
  const canvas = useRef(null);
  const drawing = useRef(null);
  const [strokes, setStrokes] = useState([]);
  const [erase, setErase] = useState(false);
  const [colour, setColour] = useState(COLOURS[0][1]);
  const [width, setWidth] = useState(6);
  const [words, setWords] = useState(props.words || "");
  const [status, setStatus] = useState("idle"); // idle, sending, sent, failed

  useEffect(() => {
    if (canvas.current) paint(canvas.current, strokes);
  }, [strokes]);

  const at = (event) => {
    const box = canvas.current.getBoundingClientRect();
    return [
      ((event.clientX - box.left) * WIDTH) / box.width,
      ((event.clientY - box.top) * HEIGHT) / box.height,
    ];
  };

  const down = (event) => {
    if (event.button !== undefined && event.button !== 0) return;
    event.preventDefault();
    canvas.current.setPointerCapture?.(event.pointerId);
    drawing.current = { erase, colour, width: erase ? width * 3 : width, points: [at(event)] };
    paint(canvas.current, [...strokes, drawing.current]);
  };

  const move = (event) => {
    if (!drawing.current) return;
    event.preventDefault();
    drawing.current.points.push(at(event));
    paint(canvas.current, [...strokes, drawing.current]);
  };

  const up = () => {
    if (!drawing.current) return;
    const done = drawing.current;
    drawing.current = null;
    setStrokes((before) => [...before, done]);
    setStatus((before) => (before === "sending" ? before : "idle"));
  };

  const send = async () => {
    paint(canvas.current, strokes); // the PNG is the strokes on white paper
    const png = canvas.current.toDataURL("image/png");
    setStatus("sending");
    try {
      // the server answers {ok: false} for a drawing it refused (its reply in the chat says why)
      const answer = await callAction({ name: "sketch_send", payload: { png, text: words.trim() } });
      setStatus(answer?.response?.ok === false ? "idle" : "sent");
    } catch (err) {
      setStatus("failed");
    }
  };

  const busy = status === "sending";
  const tool = (active) => (active ? "default" : "outline");

  return (
    <div id="sketch-pad" className="flex flex-col gap-2 w-full max-w-3xl rounded-md border p-3">
      <div className="text-sm font-medium">{say("title")}</div>
      <div className="flex flex-wrap items-center gap-2">
        <Button id="sketch-pen" size="sm" variant={tool(!erase)} onClick={() => setErase(false)}>
          <Pencil className="h-4 w-4" /> {say("pen")}
        </Button>
        <Button id="sketch-eraser" size="sm" variant={tool(erase)} onClick={() => setErase(true)}>
          <Eraser className="h-4 w-4" /> {say("eraser")}
        </Button>
        {COLOURS.map(([name, value]) => (
          <button
            key={name}
            id={`sketch-colour-${name}`}
            type="button"
            title={say(name)}
            aria-label={say(name)}
            aria-pressed={!erase && colour === value}
            onClick={() => {
              setColour(value);
              setErase(false);
            }}
            className={`h-7 w-7 rounded-full border-2 ${
              !erase && colour === value ? "border-primary ring-2 ring-primary" : "border-muted"
            }`}
            style={{ backgroundColor: value }}
          />
        ))}
        <label className="flex items-center gap-2 text-sm text-muted-foreground">
          {say("width")}
          <input
            id="sketch-width"
            type="range"
            min="1"
            max="24"
            value={width}
            style={{ width: "6rem" }}
            onChange={(e) => setWidth(Number(e.target.value))}
          />
          <span className="w-6 text-right">{width}</span>
        </label>
        <Button
          id="sketch-undo"
          size="sm"
          variant="outline"
          disabled={!strokes.length}
          onClick={() => setStrokes((before) => before.slice(0, -1))}
        >
          <Undo2 className="h-4 w-4" /> {say("undo")}
        </Button>
        <Button
          id="sketch-clear"
          size="sm"
          variant="outline"
          disabled={!strokes.length}
          onClick={() => setStrokes([])}
        >
          <Trash2 className="h-4 w-4" /> {say("clear")}
        </Button>
      </div>
      <canvas
        id="sketch-canvas"
        ref={canvas}
        width={WIDTH}
        height={HEIGHT}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerLeave={up}
        onPointerCancel={up}
        className="w-full rounded-md border bg-white"
        style={{ touchAction: "none", cursor: "crosshair", aspectRatio: `${WIDTH} / ${HEIGHT}` }}
      />
      <div className="flex items-center gap-2">
        <Input
          id="sketch-words"
          value={words}
          placeholder={say("words")}
          onChange={(e) => setWords(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !busy) send();
          }}
        />
        <Button id="sketch-send" disabled={busy} onClick={send}>
          <SendHorizontal className="h-4 w-4" /> {busy ? say("sending") : say("send")}
        </Button>
      </div>
      {status === "sent" && (
        <div id="sketch-status" className="text-sm text-muted-foreground">
          {say("sent")}
        </div>
      )}
      {status === "failed" && (
        <div id="sketch-status" className="text-sm text-destructive">
          {say("failed")}
        </div>
      )}
    </div>
  );
}
