// Studio Entraide Kiné — draws each flow's Mermaid diagram and makes its steps clickable.
// Mermaid runs with securityLevel "strict" (labels are text, its own click handling is off);
// the links come from the JSON the server wrote beside each diagram.
"use strict";

(function () {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default",
    flowchart: { useMaxWidth: true } });

  async function draw() {
    const sources = document.querySelectorAll("pre.mermaid-source");
    for (const source of sources) {
      const flow = source.dataset.flux;
      const target = document.getElementById("schema-" + flow);
      if (!target || target.dataset.dessine) continue;
      try {
        const { svg } = await mermaid.render("svg-" + flow, source.textContent);
        target.innerHTML = svg;
        target.dataset.dessine = "oui";
        source.hidden = true;
        link(target, flow);
      } catch (error) {
        target.textContent = "Schéma impossible à dessiner : " + error;
      }
    }
    document.body.dataset.cartes = "pretes";
  }

  function link(target, flow) {
    const data = document.getElementById("liens-" + flow);
    if (!data) return;
    const links = JSON.parse(data.textContent);
    for (const node of target.querySelectorAll("g.node")) {
      // Mermaid names a node's group "<diagram>-flowchart-<id>-<n>".
      const match = /flowchart-(.+)-\d+$/.exec(node.id);
      const href = match && links[match[1]];
      if (!href) continue;
      node.classList.add("cliquable");
      node.setAttribute("role", "link");
      node.setAttribute("tabindex", "0");
      node.dataset.href = href;
      node.addEventListener("click", () => { location.href = href; });
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter") location.href = href;
      });
    }
  }

  document.addEventListener("studio:contenu", draw);
  draw();
})();
