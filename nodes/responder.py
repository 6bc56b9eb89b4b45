"""The responder: the reply in the user's language, with what changed and the next choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from graph.state import ProjectState
from nodes.labels import OP_NAMES
from tools.lexicon import mood_label, shot_label

T: dict[str, dict[str, str]] = {
    "zh": {
        "sec": "秒",
        "shots_line": "{n}. {label}: {desc} ({dur:g}秒)",
        "new": " ← 新增",
        "script_done": "✅ **剧本初稿完成！{version}**\n\n**《{title}》**（{mood}，{total:g}秒）\n\n**故事概要**: {synopsis}\n\n**分镜规划**:\n{shots}",
        "script_revised": "✅ **剧本优化完成！{version}**\n\n{change}\n\n**更新后的分镜**:\n{shots}",
        "quality": "📊 **剧本质量**: {overall}/10 (故事流畅度: {flow}, 连贯性: {cont}, 节奏: {pace})",
        "improve": "📈 **改进效果**: {items}",
        "ask_generate": '您希望:\n- 🔹 说"继续"生成视频\n- 🔹 说"修改剧情"调整故事\n- 🔹 说"调整时长"改变视频长度',
        "ask_after_revision": "✅ 满意这个版本吗？说'继续生成'开始制作视频！",
        "insert": "🔄 新增镜头{pos}，其余镜头重新分配时长，总时长保持{total:g}秒。",
        "delete": "🔄 删除了镜头{pos}，总时长保持{total:g}秒。",
        "swap": "🔄 交换了镜头{a}和镜头{b}。",
        "move": "🔄 把镜头{a}移到了第{b}个位置。",
        "rewrite": "🔄 重写了镜头{pos}的内容。",
        "shot_duration": "🔄 镜头{pos}改为{sec:g}秒，其余镜头按比例调整，总时长保持{total:g}秒。",
        "total_duration": "🔄 总时长从{a:g}秒调整为{b:g}秒，各镜头按比例缩放。",
        "create": "🌷 理解了！",
        "rendered": "🎬 **视频已生成！{version}**\n📁 {path}\n⏱ {dur:.1f}秒 · {w}x{h} · 渲染{r}个镜头，缓存{c}个",
        "ask_after_render": '您可以:\n- 🔹 说"导出成GIF"\n- 🔹 说"撤销"回到上一版\n- 🔹 说"评审一下"查看质量报告',
        "edit_planned": '✏️ 已修改（{version}）：{what}。说"继续生成"后生效。',
        "edit_done": "✏️ 已修改（{version}）：{what}。",
        "clamped": "（已限制在合理范围内）",
        "targets_all": "全部镜头",
        "targets": "镜头{list}",
        "history_head": "🗂 **版本历史**:",
        "history_row": "- {version}{cur}: {note}{rendered}",
        "current": "（当前）",
        "has_video": " 🎬",
        "undo": "↩️ 已撤销：从{a}回到{b}。",
        "redo": "↪️ 已重做：从{a}回到{b}。",
        "restore": "⏪ 已恢复到{b}（从{a}），历史记录完整保留。",
        "video_at": "\n📁 视频: {path}",
        "compare_head": "🔍 **{a} 与 {b} 的对比**:",
        "cmp_image": "🖼 镜头{shot}前后对比图: {path}",
        "cmp_added": "- 新增镜头{pos}: {desc} ({dur:g}秒)",
        "cmp_removed": "- 删除镜头{pos}: {desc}",
        "cmp_changed": "- 镜头{pos}（{desc}）: {fields}",
        "cmp_settings": "- 设置 {k}: {a} → {b}",
        "cmp_total": "- 总时长: {a:g}秒 → {b:g}秒",
        "cmp_none": "- 两个版本内容相同",
        "review_head": "📊 **质量报告（{version}）**: 综合 {overall}/10",
        "review_row": "- {name}: {score} — {reason}",
        "problems": "⚠️ 发现问题:",
        "no_problems": "✅ 媒体检查未发现问题。",
        "say": '（可以说"{text}"）',
        "fallback": "⚠️ 镜头{shot}: 扩散模型不可用（{why}），这个镜头改用动画渲染。",
        "fallback_still": "⚠️ 镜头{shot}: 视频模型不可用（{why}），改用这张静态画面加镜头运动。",
        "oom_retry": "ℹ️ 镜头{shot}: 显存不足，已降低分辨率和帧数重试成功。",
        "generated": "🎨 镜头{shots}: 由模型 {model} 生成（{how}）。",
        "how_t2i": "文生图关键帧，加镜头运动",
        "how_t2v": "文生视频",
        "how_i2v": "图生视频",
        "how_keyframe": "图生视频，关键帧由 {keyframe} 生成",
        "reused": "，沿用已生成的画面，未重新生成",
        "picked": '💡 只有镜头{shot}明显比其他镜头暗，所以只调亮了它（要全部调亮请说"全部调亮"）。',
        "moved": "⏱ 时长变化（总时长不变）: {items}",
        "moved_item": "镜头{shot} {a:g}→{b:g}秒",
        "err_what_text": '🤔 要加什么文字？例如: "在开头加上标题《春日公园》"。项目没有改变。',
        "measured": "🔊 响度 {lufs:.1f} LUFS，真峰值 {tp:.1f} dBTP",
        "critique": "💬 **语言模型的点评**: {text}",
        "fixed_too_dark": "🛠 自动修复: 镜头{shot}太暗，已调亮（亮度 {value:+.2f}）并重新检查。",
        "fixed_loudness": "🛠 自动修复: 响度偏离-14 LUFS，已重新标准化并重新检查。",
        "fixed_frozen": "🛠 自动修复: 镜头{shot}画面几乎不动，已改为缓慢推镜并重新检查。",
        "fixed_true_peak": "🛠 自动修复: 真峰值过高，已降低并重新检查。",
        "fixed_narration_overflow": "🛠 自动修复: 镜头{shot}的旁白太长，已允许更快的语速（最高{value}倍）并重新检查。",
        "export": "📦 已导出 {fmt}: {path} ({mb:.1f} MB)",
        "help": '我可以帮您:\n- 🎬 创建视频: "我想创建一个关于春天的30秒短视频，风格要温馨治愈"\n- ✏️ 修改剧本: "加一个她远远走来的镜头"、"删除最后一个镜头"、"调整时长到45秒"\n- ▶️ 生成: "继续生成"\n- 🎨 编辑画面: "第二个镜头调亮一点"、"整体色调暖一些"、"做成竖屏的"\n- 🎵 音频: "背景音乐换成欢快一点的"、"旁白换成男声"\n- 🗂 版本: "有哪些版本？"、"撤销"、"重做"、"回到v1.0版本"、"对比一下v1.0和v1.1"\n- 📦 导出: "导出成GIF"',
        "unclear": '🤔 我不太确定您想做什么。您是想创建新视频、修改剧本、编辑画面/音频，还是查看版本？例如: "第二个镜头调亮一点"。',
        "llm_fallback": "（语言模型不可用（{why}），已使用离线模式。）",
        "tts_fallback": "（在线语音不可用（{why}），旁白改用离线语音 eSpeak NG。）",
        "overflow": '⚠️ 第{shots}个镜头的旁白太长，加速后仍超出镜头，已在镜头结尾截断。可以说"把第{first}个镜头延长到{need:g}秒"。',
        "err_unknown_voice": '⚠️ 没有"{name}"这个声音。可选: 女声、男声。项目没有改变。',
        "err_bad_volume": '⚠️ 音量不能调到{value}。可以说"音乐小声一点"或"音量-20%"。项目没有改变。',
        "err_audio_missing": "⚠️ 找不到音频文件: {path}。项目没有改变。",
        "err_audio_invalid": "⚠️ 这个文件不是可以播放的音频（{reason}）。支持 WAV、MP3、M4A、OGG。项目没有改变。",
        "err_audio_too_large": "⚠️ 音频文件太大了（{mb} MB），最多{limit} MB。项目没有改变。",
        "err_audio_too_long": "⚠️ 音频太长了（{seconds}秒），最多{limit}秒。项目没有改变。",
        "err_empty": '⚠️ 消息是空的，请告诉我您想做什么，例如: "我想创建一个关于春天的30秒短视频"。',
        "err_too_long": "⚠️ 消息太长了（{length}字），请控制在{limit}字以内。项目没有改变。",
        "err_no_script": '⚠️ 还没有剧本。请先描述您想要的视频，例如: "我想创建一个关于春天的30秒短视频"。',
        "err_no_render": '⚠️ 还没有生成视频，请先说"继续生成"。',
        "err_bad_shot": "⚠️ 没有镜头{bad}，当前只有{count}个镜头。项目没有改变。",
        "err_bad_duration": "⚠️ 时长需要在{low:g}到{high:g}秒之间（您要的是{value}）。项目没有改变。",
        "err_bad_shot_duration": "⚠️ 这个镜头的时长需要在{low:g}到{high:g}秒之间。项目没有改变。",
        "err_unknown_version": "⚠️ 没有版本{wanted}。现有版本: {available}。项目没有改变。",
        "err_nothing_to_undo": "⚠️ 没有可以撤销的操作。",
        "err_nothing_to_redo": "⚠️ 没有可以重做的操作。",
        "err_already_current": "ℹ️ 当前已经是{version}。",
        "err_no_versions": "⚠️ 还没有任何版本。",
        "err_nothing_to_compare": '⚠️ 需要两个版本才能对比，例如: "对比一下v1.0和v1.1"。',
        "err_what_to_add": '🤔 要加一个什么样的镜头？例如: "加一个她远远走来的镜头"。',
        "err_which_shot": '🤔 是哪一个镜头？例如: "删除第二个镜头"。',
        "err_which_two_shots": '🤔 要交换哪两个镜头？例如: "交换第二和第三个镜头"。',
        "err_what_to_show": '🤔 要改成什么内容？例如: "把第三个镜头改成一只猫在晒太阳"。',
        "err_what_to_change": "🤔 您想怎么修改剧情？可以加镜头、删镜头、交换顺序或重写某个镜头。",
        "err_how_long": '🤔 要多长？例如: "调整时长到45秒"。',
        "err_too_many_shots": "⚠️ 最多{limit}个镜头。项目没有改变。",
        "err_cannot_delete_all": "⚠️ 不能删除所有镜头。项目没有改变。",
        "err_too_short_for_shots": "⚠️ {total:g}秒装不下{shots}个镜头。项目没有改变。",
        "err_not_yet": '🚧 暂不支持"{feature}"，项目没有改变。',
        "err_which_music": '🤔 想换成什么风格的音乐？例如: "换成欢快一点的"。',
        "err_which_voice": '🤔 想怎么调整旁白？例如: "旁白换成男声"、"说慢一点"。',
        "err_bad_fps": "⚠️ 帧率需要在12到60之间。项目没有改变。",
        "err_no_boundary": "⚠️ 只有{count}个镜头，那里没有镜头之间的边界。项目没有改变。",
        "err_image_missing": "⚠️ 找不到图片文件: {path}。项目没有改变。",
        "err_image_invalid": "⚠️ 这个文件不是可以读取的图片（{reason}）。项目没有改变。",
        "err_image_too_large": "⚠️ 图片太大了（{pixels}像素），最多{limit}像素。项目没有改变。",
        "err_which_shot_image": '🤔 这张图片用在哪个镜头？例如: "把这张图用在第二个镜头"。项目没有改变。',
        "err_bad_format": "⚠️ 不支持{value}。可选: 画幅 16:9 / 9:16 / 1:1，分辨率 720p / 1080p / 2160p。项目没有改变。",
    },
    "en": {
        "sec": "s",
        "shots_line": "{n}. {label}: {desc} ({dur:g}s)",
        "new": " ← new",
        "script_done": "✅ **First draft ready! {version}**\n\n**{title}** ({mood}, {total:g}s)\n\n**Story**: {synopsis}\n\n**Shots**:\n{shots}",
        "script_revised": "✅ **Script updated! {version}**\n\n{change}\n\n**Shots now**:\n{shots}",
        "quality": "📊 **Script quality**: {overall}/10 (story flow: {flow}, continuity: {cont}, pacing: {pace})",
        "improve": "📈 **Change**: {items}",
        "ask_generate": 'What next?\n- 🔹 say "go ahead" to render the video\n- 🔹 ask for story changes\n- 🔹 change the length, e.g. "make it 45 seconds"',
        "ask_after_revision": '✅ Happy with this version? Say "go ahead" to render it!',
        "insert": "🔄 Added shot {pos}; the other shots were rebalanced to keep {total:g}s in total.",
        "delete": "🔄 Removed shot {pos}; the total stays {total:g}s.",
        "swap": "🔄 Swapped shots {a} and {b}.",
        "move": "🔄 Moved shot {a} to position {b}.",
        "rewrite": "🔄 Rewrote shot {pos}.",
        "shot_duration": "🔄 Shot {pos} is now {sec:g}s; the others were rebalanced to keep {total:g}s.",
        "total_duration": "🔄 Length changed from {a:g}s to {b:g}s; every shot scaled.",
        "create": "🌷 Got it!",
        "rendered": "🎬 **Video ready! {version}**\n📁 {path}\n⏱ {dur:.1f}s · {w}x{h} · {r} shots rendered, {c} from cache",
        "ask_after_render": 'You can:\n- 🔹 say "export as GIF"\n- 🔹 say "undo" to go back\n- 🔹 say "review it" for a quality report',
        "edit_planned": '✏️ Changed ({version}): {what}. It takes effect when you say "go ahead".',
        "edit_done": "✏️ Changed ({version}): {what}.",
        "clamped": " (limited to a sensible range)",
        "targets_all": "all shots",
        "targets": "shot {list}",
        "history_head": "🗂 **Versions**:",
        "history_row": "- {version}{cur}: {note}{rendered}",
        "current": " (current)",
        "has_video": " 🎬",
        "undo": "↩️ Undone: back from {a} to {b}.",
        "redo": "↪️ Redone: from {a} to {b}.",
        "restore": "⏪ Restored {b} (from {a}); the history is kept.",
        "video_at": "\n📁 Video: {path}",
        "compare_head": "🔍 **{a} vs {b}**:",
        "cmp_image": "🖼 Shot {shot} before/after: {path}",
        "cmp_added": "- added shot {pos}: {desc} ({dur:g}s)",
        "cmp_removed": "- removed shot {pos}: {desc}",
        "cmp_changed": "- shot {pos} ({desc}): {fields}",
        "cmp_settings": "- setting {k}: {a} → {b}",
        "cmp_total": "- total length: {a:g}s → {b:g}s",
        "cmp_none": "- the two versions are the same",
        "review_head": "📊 **Quality report ({version})**: overall {overall}/10",
        "review_row": "- {name}: {score} — {reason}",
        "problems": "⚠️ Problems found:",
        "no_problems": "✅ The media checks found no problems.",
        "say": ' (say "{text}")',
        "fallback": "⚠️ Shot {shot}: the diffusion model was unavailable ({why}); the animatic renderer made this shot.",
        "fallback_still": "⚠️ Shot {shot}: the video model was unavailable ({why}); the still picture was animated with a camera move instead.",
        "oom_retry": "ℹ️ Shot {shot}: out of memory, so it was generated again at a lower resolution and fewer frames.",
        "generated": "🎨 {label} {shots}: generated by {model} ({how}).",
        "how_t2i": "a text-to-image keyframe with a camera move",
        "how_t2v": "text-to-video",
        "how_i2v": "image-to-video from your picture",
        "how_keyframe": "image-to-video from a keyframe by {keyframe}",
        "reused": "; the frames generated before were reused, not generated again",
        "picked": '💡 Only shot {shot} was clearly darker than the others, so only it was brightened (say "brighten all shots" for all).',
        "moved": "⏱ Lengths changed (total kept): {items}",
        "moved_item": "shot {shot} {a:g}→{b:g}s",
        "err_what_text": '🤔 What text? E.g. add a title "Spring in the Park". Nothing changed.',
        "measured": "🔊 Loudness {lufs:.1f} LUFS, true peak {tp:.1f} dBTP",
        "critique": "💬 **The language model's critique**: {text}",
        "fixed_too_dark": "🛠 Fixed automatically: shot {shot} was too dark; brightened (brightness {value:+.2f}) and re-checked.",
        "fixed_loudness": "🛠 Fixed automatically: loudness was off -14 LUFS; re-normalised and re-checked.",
        "fixed_frozen": "🛠 Fixed automatically: shot {shot} barely moved; it now has a slow push-in, re-checked.",
        "fixed_true_peak": "🛠 Fixed automatically: the true peak was too high; lowered and re-checked.",
        "fixed_narration_overflow": "🛠 Fixed automatically: shot {shot}'s narration was too long; allowed faster speech (up to {value}x) and re-checked.",
        "export": "📦 Exported {fmt}: {path} ({mb:.1f} MB)",
        "help": 'I can:\n- 🎬 create a video: "Make a 20 second video about a rainy night in Tokyo"\n- ✏️ revise the script: "add a shot of her walking in from afar", "delete the last shot", "make it 45 seconds"\n- ▶️ render: "go ahead"\n- 🎨 edit the picture: "make shot 2 brighter", "warmer colours", "make it vertical"\n- 🎵 audio: "cheerful music", "use a male voice"\n- 🗂 versions: "history", "undo", "redo", "go back to v1.0", "compare v1.0 and v1.1"\n- 📦 export: "export as GIF"',
        "unclear": "🤔 I'm not sure what you'd like. Create a video, change the script, edit the picture or sound, or look at versions? For example: \"make shot 2 brighter\".",
        "llm_fallback": "(The language model was unavailable ({why}); I used the offline mode.)",
        "tts_fallback": "(Online speech was unavailable ({why}); the narration uses the offline eSpeak NG voice.)",
        "overflow": '⚠️ The narration of shot {shots} is too long even sped up, so it is cut at the end of the shot. Try "make shot {first} {need:g} seconds".',
        "err_unknown_voice": '⚠️ There is no voice called "{name}". Choose a female or a male voice. Nothing changed.',
        "err_bad_volume": '⚠️ The volume cannot go to {value}. Try "music a bit quieter" or "volume -20%". Nothing changed.',
        "err_audio_missing": "⚠️ Audio file not found: {path}. Nothing changed.",
        "err_audio_invalid": "⚠️ That file is not playable audio ({reason}). WAV, MP3, M4A and OGG work. Nothing changed.",
        "err_audio_too_large": "⚠️ The audio file is too large ({mb} MB); the limit is {limit} MB. Nothing changed.",
        "err_audio_too_long": "⚠️ The audio is too long ({seconds}s); the limit is {limit}s. Nothing changed.",
        "err_empty": '⚠️ Your message is empty. Tell me what you\'d like, e.g. "Make a 30 second video about spring".',
        "err_too_long": "⚠️ That message is too long ({length} characters); please keep it under {limit}. Nothing changed.",
        "err_no_script": '⚠️ There is no script yet. Describe the video first, e.g. "Make a 30 second video about spring".',
        "err_no_render": '⚠️ Nothing is rendered yet; say "go ahead" first.',
        "err_bad_shot": "⚠️ There is no shot {bad}; the script has {count} shots. Nothing changed.",
        "err_bad_duration": "⚠️ The length must be between {low:g} and {high:g} seconds (you asked for {value}). Nothing changed.",
        "err_bad_shot_duration": "⚠️ That shot's length must be between {low:g} and {high:g} seconds. Nothing changed.",
        "err_unknown_version": "⚠️ There is no version {wanted}. Versions: {available}. Nothing changed.",
        "err_nothing_to_undo": "⚠️ There is nothing to undo.",
        "err_nothing_to_redo": "⚠️ There is nothing to redo.",
        "err_already_current": "ℹ️ {version} is already the current version.",
        "err_no_versions": "⚠️ There are no versions yet.",
        "err_nothing_to_compare": '⚠️ I need two versions to compare, e.g. "compare v1.0 and v1.1".',
        "err_what_to_add": '🤔 What should the new shot show? E.g. "add a shot of her walking in from afar".',
        "err_which_shot": '🤔 Which shot? E.g. "delete shot 2".',
        "err_which_two_shots": '🤔 Which two shots? E.g. "swap shots 2 and 3".',
        "err_what_to_show": '🤔 What should it show instead? E.g. "change shot 3 to a cat sleeping in the sun".',
        "err_what_to_change": "🤔 How should the story change? I can add, delete, swap, move or rewrite shots.",
        "err_how_long": '🤔 How long? E.g. "make it 45 seconds".',
        "err_too_many_shots": "⚠️ At most {limit} shots. Nothing changed.",
        "err_cannot_delete_all": "⚠️ I can't delete every shot. Nothing changed.",
        "err_too_short_for_shots": "⚠️ {total:g}s is too short for {shots} shots. Nothing changed.",
        "err_not_yet": '🚧 "{feature}" is not supported yet. Nothing changed.',
        "err_which_music": '🤔 What kind of music? E.g. "make the music more cheerful".',
        "err_which_voice": '🤔 How should the narration change? E.g. "use a male voice", "speak slower".',
        "err_bad_fps": "⚠️ The frame rate must be between 12 and 60. Nothing changed.",
        "err_no_boundary": "⚠️ There are only {count} shots; there is no boundary there. Nothing changed.",
        "err_image_missing": "⚠️ Image file not found: {path}. Nothing changed.",
        "err_image_invalid": "⚠️ That file is not an image I can read ({reason}). Nothing changed.",
        "err_image_too_large": "⚠️ The image is too large ({pixels} pixels); the limit is {limit}. Nothing changed.",
        "err_which_shot_image": '🤔 Which shot should use this image? E.g. "use this picture for shot 2". Nothing changed.',
        "err_bad_format": "⚠️ {value} is not supported. Choose 16:9 / 9:16 / 1:1 and 720p / 1080p / 2160p. Nothing changed.",
    },
}
FIELD_NAMES = {
    "zh": {
        "grade": "调色",
        "description": "内容",
        "duration": "时长",
        "speed": "播放速度",
        "narration": "旁白",
        "shot_type": "景别",
        "overlays": "文字",
        "effects": "音效",
        "image": "图片",
        "position": "位置",
    },
    "en": {"grade": "grading", "shot_type": "shot type", "overlays": "text"},
}
SCORE_NAMES = {
    "zh": {
        "duration_fit": "时长匹配",
        "pacing": "节奏",
        "structure": "结构",
        "narration_fit": "旁白适配",
        "continuity": "连贯性",
        "coverage": "要素覆盖",
        "story_flow": "故事流畅度",
        "overall": "综合",
    },
    "en": {
        "duration_fit": "duration fit",
        "pacing": "pacing",
        "structure": "structure",
        "narration_fit": "narration fit",
        "continuity": "continuity",
        "coverage": "coverage",
        "story_flow": "story flow",
        "overall": "overall",
    },
}


def _fmt(lang: str, key: str, **kw: Any) -> str:
    class Safe(dict[str, Any]):
        def __missing__(self, k: str) -> str:
            return "?"

    return T[lang][key].format_map(Safe(kw))


def _shots(script: dict[str, Any], lang: str, new_id: str | None = None) -> str:
    return "\n".join(
        _fmt(
            lang,
            "shots_line",
            n=i + 1,
            label=shot_label(s["shot_type"], lang),
            desc=s["description"],
            dur=s["duration"],
        )
        + (T[lang]["new"] if s["id"] == new_id else "")
        for i, s in enumerate(script["shots"])
    )


def _quality(review: dict[str, Any], lang: str) -> str:
    sc = review["scores"]
    lines = [
        _fmt(
            lang,
            "quality",
            overall=review["overall"],
            flow=review["story_flow"],
            cont=sc["continuity"]["score"],
            pace=sc["pacing"]["score"],
        )
    ]
    delta = {k: v for k, v in (review.get("delta") or {}).items() if abs(v) >= 0.05}
    if delta:
        items = ", ".join(f"{SCORE_NAMES[lang].get(k, k)} {v:+.1f}" for k, v in delta.items())
        lines.append(_fmt(lang, "improve", items=items))
    return "\n".join(lines)


def _change_text(change: dict[str, Any], script: dict[str, Any], lang: str) -> str:
    op, total = change.get("op"), sum(s["duration"] for s in script["shots"])
    if op in ("swap",):
        return _fmt(lang, "swap", a=change["positions"][0], b=change["positions"][1])
    if op == "move":
        return _fmt(lang, "move", a=change["from"], b=change["to"])
    if op == "total_duration":
        return _fmt(lang, "total_duration", a=change["from"], b=change["to"])
    pos = change.get("position") or ", ".join(map(str, change.get("positions", [])))
    return _fmt(lang, str(op), pos=pos, total=total, sec=change.get("seconds", 0))


def _script_reply(state: ProjectState, lang: str) -> str:
    script, outcome = state["script"] or {}, state["outcome"]
    change = outcome.get("change", {})
    parts = []
    if change.get("op") == "create":
        parts.append(
            T[lang]["create"]
            + " "
            + _fmt(
                lang,
                "script_done",
                version=state.get("version"),
                title=script["title"],
                mood=mood_label(script.get("mood", "warm"), lang),
                total=script["duration"],
                synopsis=script["synopsis"],
                shots=_shots(script, lang),
            )
        )
    else:
        parts.append(
            _fmt(
                lang,
                "script_revised",
                version=state.get("version"),
                change=_change_text(change, script, lang),
                shots=_shots(script, lang, change.get("shot_id")),
            )
        )
    if state.get("review"):
        parts.append(_quality(state["review"] or {}, lang))
    if outcome.get("rerender"):  # a revision of a rendered project renders at once
        parts.append(_render_reply(state, lang))
    else:
        parts.append(T[lang]["ask_generate" if change.get("op") == "create" else "ask_after_revision"])
    return "\n\n".join(parts)


def _render_reply(state: ProjectState, lang: str) -> str:
    render = state.get("render") or {}
    text = _fmt(
        lang,
        "rendered",
        version=state.get("version"),
        path=render.get("path"),
        dur=render.get("duration", 0),
        w=render.get("width"),
        h=render.get("height"),
        r=render.get("rendered", 0),
        c=render.get("cached", 0),
    )
    made: dict[tuple[str, str], list[str]] = {}
    for b in render.get("backends") or []:
        if b.get("backend") == "diffusion":
            how = "how_keyframe" if b.get("keyframe") else "how_" + str(b.get("kind"))
            desc = _fmt(lang, how, keyframe=Path(str(b.get("keyframe"))).name)
            desc += T[lang]["reused"] if b.get("reused") else ""
            made.setdefault((Path(str(b.get("model"))).name, desc), []).append(str(b["shot"]))
    for (model, desc), numbers in made.items():
        label = "Shot" if len(numbers) == 1 else "Shots"
        shots = ("、" if lang == "zh" else ", ").join(numbers)
        text += "\n" + _fmt(lang, "generated", label=label, shots=shots, model=model, how=desc)
    for b in render.get("backends") or []:
        if b.get("fallback"):
            which = "fallback" if b.get("backend") == "animatic" else "fallback_still"
            text += "\n" + _fmt(lang, which, shot=b["shot"], why=b["fallback"])
        if "oom_retry" in (b.get("notes") or []):
            text += "\n" + _fmt(lang, "oom_retry", shot=b["shot"])
    gate = _gate_lines(state, lang)
    if gate:
        text += "\n" + "\n".join(gate)
    problems = (state.get("review") or {}).get("problems") or []
    if problems:
        text += "\n" + T[lang]["problems"] + "\n" + "\n".join(problem_lines(problems, lang))
    over = [n for n in render.get("narration") or [] if n.get("overflow", 0) > 0]
    if over:
        plan = {p["shot_id"]: i + 1 for i, p in enumerate(state.get("plan") or [])}
        nums = [plan.get(n["shot_id"], 0) for n in over]
        need = max(1.0, round(over[0]["spoken"] + 0.5))
        text += "\n" + _fmt(lang, "overflow", shots=",".join(map(str, nums)), first=nums[0], need=need)
    return text + "\n\n" + T[lang]["ask_after_render"]


def _edit_reply(state: ProjectState, lang: str) -> str:
    o = state["outcome"]
    if o.get("targets"):
        what = (
            T[lang]["targets_all"]
            if o.get("all")
            else _fmt(lang, "targets", list=", ".join(map(str, o["targets"])))
        )
        what = f"{OP_NAMES[lang].get(o['op'], o['op'])} → {what}"
    else:
        what = f"{OP_NAMES[lang].get(o['op'], o['op'])} → {o.get('value')}"
    if o.get("clamped"):
        what += T[lang]["clamped"]
    if o.get("picked"):
        what += "\n" + _fmt(lang, "picked", shot=o["picked"])
    if o.get("moved"):
        items = ", ".join(_fmt(lang, "moved_item", shot=m[0], a=m[1], b=m[2]) for m in o["moved"])
        what += "\n" + _fmt(lang, "moved", items=items)
    if o.get("rerender"):
        return (
            _fmt(lang, "edit_done", version=state.get("version"), what=what)
            + "\n"
            + _render_reply(state, lang)
        )
    return _fmt(lang, "edit_planned", version=state.get("version"), what=what)


def _versions_reply(state: ProjectState, lang: str) -> str:
    o = state["outcome"]
    if o["kind"] == "history":
        rows = [
            _fmt(
                lang,
                "history_row",
                version=r["version"],
                note=r["note"],
                cur=T[lang]["current"] if r["current"] else "",
                rendered=T[lang]["has_video"] if r["rendered"] else "",
            )
            for r in o["versions"]
        ]
        return "\n".join([T[lang]["history_head"], *rows])
    if o["kind"] == "compare":
        d = o["diff"]
        rows = [
            _fmt(lang, "cmp_added", pos=a["position"], desc=a["description"], dur=a["duration"])
            for a in d["added"]
        ]
        rows += [_fmt(lang, "cmp_removed", pos=r["position"], desc=r["description"]) for r in d["removed"]]
        rows += [
            _fmt(
                lang,
                "cmp_changed",
                pos=c["to"],
                desc=c["description"],
                fields=", ".join(FIELD_NAMES[lang].get(f, f) for f in c["fields"] or ["position"]),
            )
            for c in d["changed"]
        ]
        rows += [_fmt(lang, "cmp_settings", k=k, a=v[0], b=v[1]) for k, v in d["settings"].items()]
        if abs(d["duration"][0] - d["duration"][1]) > 0.05:
            rows.append(_fmt(lang, "cmp_total", a=d["duration"][0], b=d["duration"][1]))
        if o.get("image"):
            rows.append(_fmt(lang, "cmp_image", path=o["image"]["path"], shot=o["image"]["shot"]))
        return "\n".join([_fmt(lang, "compare_head", a=o["a"], b=o["b"]), *(rows or [T[lang]["cmp_none"]])])
    text = _fmt(lang, o["kind"], a=o["from"], b=o["to"])
    return text + (_fmt(lang, "video_at", path=o["path"]) if o.get("path") else "")


def _reason(value: Any, lang: str) -> str:
    return str(value.get(lang) or value.get("en")) if isinstance(value, dict) else str(value)


def problem_lines(problems: list[dict[str, Any]], lang: str) -> list[str]:
    """One line per problem: what was measured, and what the user can say about it."""
    out = []
    for p in problems:
        line = f"- {_reason(p.get('detail', p['code']), lang)}"
        say = (p.get("suggestion") or {}).get(lang)
        if say:
            line += _fmt(lang, "say", text=say)
        out.append(line)
    return out


def _gate_lines(state: ProjectState, lang: str) -> list[str]:
    fixed = ((state.get("outcome") or {}).get("gate") or {}).get("fixed") or []
    return [_fmt(lang, f"fixed_{f['code']}", shot=f.get("shot"), value=f.get("value")) for f in fixed]


def _review_reply(state: ProjectState, lang: str) -> str:
    review = state.get("review") or {}
    names = SCORE_NAMES[lang]
    rows = [_fmt(lang, "review_head", version=state.get("version"), overall=review.get("overall"))]
    rows += [
        _fmt(lang, "review_row", name=names[k], score=v["score"], reason=_reason(v["reason"], lang))
        for k, v in review.get("scores", {}).items()
    ]
    measured = review.get("measured")
    if measured:
        rows.append(_fmt(lang, "measured", lufs=measured["loudness"], tp=measured["true_peak"]))
    probs = review.get("problems") or []
    rows += _gate_lines(state, lang)
    if probs:
        rows.append(T[lang]["problems"])
        rows += problem_lines(probs, lang)
    elif measured:
        rows.append(T[lang]["no_problems"])
    if review.get("critique"):
        rows.append(_fmt(lang, "critique", text=review["critique"]))
    return "\n".join(rows)


def compose_reply(state: ProjectState) -> str:
    """The reply text for this turn's intent and outcome."""
    lang = state.get("language", "zh") if state.get("language") in T else "en"
    intent = state.get("intent") or {}
    slots = intent.get("slots", {})
    outcome = state.get("outcome") or {}
    error = slots.get("error") or outcome.get("error")
    if error:
        details = {**slots, **outcome}
        if "bad_shots" in details:
            details["bad"] = ", ".join(map(str, details["bad_shots"]))
        if "wanted" in details:
            details["wanted"] = ", ".join(details["wanted"])
            details["available"] = ", ".join(details["available"])
        if error == "bad_duration":
            details.setdefault("value", slots.get("duration"))
        text = _fmt(lang, f"err_{error}", **details) if f"err_{error}" in T[lang] else _fmt(lang, "unclear")
    elif intent.get("intent") == "help":
        text = T[lang]["help"]
    elif intent.get("intent") == "unclear":
        text = T[lang]["unclear"]
    elif outcome.get("kind") == "script":
        text = _script_reply(state, lang)
    elif outcome.get("kind") == "edit":
        text = _edit_reply(state, lang)
    elif outcome.get("kind") == "export":
        text = _fmt(
            lang, "export", fmt=outcome["format"].upper(), path=outcome["path"], mb=outcome["bytes"] / 1e6
        )
    elif outcome.get("kind") in ("history", "compare", "undo", "redo", "restore"):
        text = _versions_reply(state, lang)
    elif outcome.get("kind") == "review":
        text = _review_reply(state, lang)
    else:
        text = _render_reply(state, lang)
    for kind in ("llm_fallback", "tts_fallback"):
        fallbacks = [n.split(":", 1)[1] for n in state.get("notes") or [] if n.startswith(kind + ":")]
        if fallbacks:
            text += "\n\n" + _fmt(lang, kind, why=", ".join(fallbacks))
    return text


def responder(state: ProjectState) -> dict[str, Any]:
    """Write the reply and add it to the conversation."""
    text = compose_reply(state)
    return {"reply": text, "messages": [AIMessage(content=text)]}
