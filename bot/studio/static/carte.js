// Studio Entraide Kiné — draws each flow's Mermaid diagram and makes its steps clickable.
// Mermaid runs with securityLevel "strict" (labels are text, its own click handling is off);
// the links come from the JSON the server wrote beside each diagram. A diagram is drawn when
// it comes near the screen (the others follow, one by one): drawing all twenty first would keep
// the page blank for seconds.
"use strict";

(function () {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default",
    flowchart: { useMaxWidth: true } });

  let queue = Promise.resolve();

  function draw(target) {
    queue = queue.then(async () => {
      const flow = target.dataset.flux;
      const source = document.querySelector('pre.mermaid-source[data-flux="' + flow + '"]');
      if (!source || target.dataset.dessine) return;
      try {
        const { svg } = await mermaid.render("svg-" + flow, source.textContent);
        target.innerHTML = svg;
        source.hidden = true;
        link(target, flow);
        target.dataset.dessine = "oui";
      } catch (error) {
        target.textContent = "Schéma impossible à dessiner : " + error;
        target.dataset.dessine = "erreur";
      }
    });
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

  function watch() {
    const observer = new IntersectionObserver((seen) => {
      for (const entry of seen) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      }
    }, { rootMargin: "600px 0px" });
    const targets = document.querySelectorAll(".schema");
    targets.forEach((target) => observer.observe(target));
    // Then the others, one after the other, so that none is missed by a fast scroll.
    window.setTimeout(() => targets.forEach(draw), 1000);
  }

  document.addEventListener("studio:contenu", watch);
  watch();
})();
